// The wizard's steps, in the order the operator walks them.
export type StepId = 'profile' | 'check' | 'client' | 'server' | 'test' | 'restore';

export interface StepInfo {
  id: StepId;
  title: string;
  summary: string;
}

export const STEPS: readonly StepInfo[] = [
  { id: 'profile', title: 'Profile', summary: 'Jump server, target and account' },
  { id: 'check', title: 'Check', summary: 'Both machines, before any change' },
  { id: 'client', title: 'Configure the client', summary: 'Allow delegation to the jump server' },
  { id: 'server', title: 'Configure the server', summary: 'Accept CredSSP on the jump server' },
  { id: 'test', title: 'Test the hop', summary: 'Run the probe on the target' },
  { id: 'restore', title: 'Restore', summary: 'Put both machines back' },
];
