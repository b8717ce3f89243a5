// The wizard's steps, in the order the operator walks them.
export interface StepInfo {
  id: 'profile' | 'check' | 'client' | 'server' | 'test' | 'restore';
  title: string;
  summary: string;
}

export const STEPS: readonly StepInfo[] = [
  { id: 'check', title: 'Check', summary: 'This computer and PowerShell' },
  { id: 'profile', title: 'Profile', summary: 'Jump server, target and account' },
  { id: 'client', title: 'Configure the client', summary: 'Allow delegation to the jump server' },
  { id: 'server', title: 'Configure the server', summary: 'Accept CredSSP on the jump server' },
  { id: 'test', title: 'Test the hop', summary: 'Run the probe on the target' },
  { id: 'restore', title: 'Restore', summary: 'Put both machines back' },
];
