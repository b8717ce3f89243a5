// The plan as a commented PowerShell runbook an administrator can read and run by hand, including the
// exact restore. Values are quoted as PowerShell literals; host names were validated before planning.
import type { Plan, Snapshot } from '../../shared/domain/hop';
import { listValueNames, powershellFor } from './plan';
import { psLiteral } from './quote';

export function runbook(plan: Plan, snapshot: Snapshot, generatedAt: string): string {
  const jump = psLiteral(plan.jumpServer);
  const lines: string[] = [
    '#Requires -RunAsAdministrator',
    `# CredHop runbook: CredSSP for the second hop ${snapshot.client.computerName} -> ${plan.jumpServer} -> ${plan.target}`,
    `# Generated ${generatedAt}. Read every step before you run it; run it in an elevated PowerShell on ${snapshot.client.computerName}.`,
    '#',
    '# Risks:',
    ...plan.risks.map((r) => `#   - ${r}`),
    ...(plan.blockers.length > 0 ? ['#', '# BLOCKERS (CredHop would not run this plan):', ...plan.blockers.map((b) => `#   - ${b.message} ${b.resolution}`)] : []),
    '',
    "$ErrorActionPreference = 'Stop'",
    `$jumpServer = ${jump}`,
    `$target = ${psLiteral(plan.target)}`,
    '$cred = Get-Credential -Message "Account for $jumpServer"',
    '',
    '# 1. The state before (keep this output: it is what the restore below returns to)',
    'Get-WSManCredSSP',
    "Get-Item -Path WSMan:\\localhost\\Client\\Auth\\CredSSP",
    'Invoke-Command -ComputerName $jumpServer -Credential $cred -ScriptBlock { Get-Item -Path WSMan:\\localhost\\Service\\Auth\\CredSSP }',
    '',
  ];
  const client = plan.changes.filter((c) => c.step === 'client');
  const server = plan.changes.filter((c) => c.step === 'server');
  lines.push('# 2. Configure the client');
  if (client.length === 0) lines.push('#    (nothing to change)');
  for (const c of client) lines.push(`# ${c.title}`, ...powershellFor(c.change, plan.jumpServer).split('\n'), '');
  lines.push('# 3. Configure the server');
  if (server.length === 0) lines.push('#    (nothing to change)');
  for (const c of server) lines.push(`# ${c.title}`, powershellFor(c.change, plan.jumpServer).replace('-ScriptBlock', '-Credential $cred -ScriptBlock'), '');
  lines.push(
    '# 4. Test the hop: from the jump server, run a command on the target with your delegated credentials',
    'Invoke-Command -ComputerName $jumpServer -Credential $cred -Authentication CredSSP -ScriptBlock {',
    '    Invoke-Command -ComputerName $using:target -ScriptBlock { hostname; whoami }',
    '}',
    '',
    '# 5. Restore exactly what was changed (do not use Disable-WSManCredSSP: it strips every wsman/* entry)',
  );
  for (const c of [...plan.changes].reverse()) {
    const ch = c.change;
    if (ch.kind === 'client-credssp') lines.push(`Set-Item -Path WSMan:\\localhost\\Client\\Auth\\CredSSP -Value $${String(snapshot.client.winrm.clientCredSSP ?? false)}`);
    if (ch.kind === 'server-credssp') lines.push(`Invoke-Command -ComputerName $jumpServer -Credential $cred -ScriptBlock { Set-Item -Path WSMan:\\localhost\\Service\\Auth\\CredSSP -Value $${String(snapshot.server.serviceCredSSP ?? false)} }`);
    if (ch.kind === 'add-delegation') {
      const v = listValueNames(ch.list);
      const before = snapshot.client.delegation[ch.list].effective;
      lines.push(
        `$key = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation'`,
        `# Remove only the value that holds ${ch.spn} and was not there before (${before.entries.length} entries were)`,
        `$list = Get-Item -Path "$key\\${v.list}"`,
        `foreach ($name in $list.GetValueNames()) { if ($list.GetValue($name) -eq ${psLiteral(ch.spn)} -and @(${before.entries.filter((e) => e.value.toLowerCase() === ch.spn.toLowerCase()).map((e) => psLiteral(e.name)).join(', ')}) -notcontains $name) { Remove-ItemProperty -Path "$key\\${v.list}" -Name $name } }`,
        before.allow === null ? `Remove-ItemProperty -Path $key -Name ${v.allow} -ErrorAction SilentlyContinue` : `Set-ItemProperty -Path $key -Name ${v.allow} -Value ${before.allow} -Type DWord`,
        before.concatenate === null ? `Remove-ItemProperty -Path $key -Name ${v.concatenate} -ErrorAction SilentlyContinue` : `Set-ItemProperty -Path $key -Name ${v.concatenate} -Value ${before.concatenate} -Type DWord`,
        '# The same entry lives in the local Group Policy object: remove it there too with the Local Group Policy',
        '# Editor (Computer Configuration > Administrative Templates > System > Credentials Delegation), or gpupdate brings it back.',
      );
    }
  }
  lines.push('', '# 6. Check: this should show the state from step 1', 'Get-WSManCredSSP', '');
  return lines.join('\r\n');
}
