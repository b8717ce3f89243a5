// Practice mode's fixed facts: the article's hosts, and a password the lab accepts for accounts that
// declare none. It is never used outside practice mode (the lab is the only thing that receives it).
export const PRACTICE_TARGET = { jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', account: 'COMPANY\\Administrator' } as const;
export const PRACTICE_PASSWORD = 'practice-only-password';

/** The labs shipped with CredHop, as practice mode offers them (the files are in the app's lab folder). */
export const SHIPPED_LABS = [
  {
    id: 'article',
    title: "The article's lab",
    summary: 'Workstation dc1, jump server adfs1, target mem2: clean machines, WinRM running everywhere.',
  },
  {
    id: 'managed-workstation',
    title: 'The managed workstation',
    summary: "Helpdesk PC ws1 as a security baseline leaves it: the WinRM service stopped (Manual), TrustedHosts empty, and a delegation entry an old script wrote into the registry; PowerShell 7.4 LTS. Jump server adfs1, target mem2.",
  },
  {
    id: 'windows-powershell-only',
    title: 'The workstation without PowerShell 7',
    summary: 'Helpdesk PC ws2 has only Windows PowerShell 5.1, so CredHop runs in 5.1 there (as on the jump server and in scheduled tasks). Jump server adfs1, target mem2.',
  },
] as const;
export type ShippedLabId = (typeof SHIPPED_LABS)[number]['id'];

/** Where a shipped lab's file is in this layout. */
export function shippedLabFile(layout: { defaultLabFile: string; managedLabFile: string; windowsPowerShellLabFile: string }, id: ShippedLabId): string {
  if (id === 'article') return layout.defaultLabFile;
  return id === 'managed-workstation' ? layout.managedLabFile : layout.windowsPowerShellLabFile;
}
