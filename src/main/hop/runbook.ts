// The plan as a PowerShell runbook an administrator can read and run by hand: `.\runbook.ps1` makes
// exactly CredHop's changes (the same value names, in the registry AND the local Group Policy object)
// and tests the hop; `.\runbook.ps1 -Restore` removes exactly those entries by value name and puts the
// flags back to the snapshot. Values are quoted as PowerShell literals; comments cannot be broken out
// of (host names were validated before planning, and every comment line is stripped of line breaks).
import { withTrustedHost } from './trusted-hosts';
import type { Plan, Snapshot } from '../../shared/domain/hop';
import { comment, listValueNames, nextFreeValueName, powershellFor } from './plan';
import { psLiteral } from './quote';

/**
 * Registry.pol (the local Group Policy object) as PowerShell functions: read the PReg records, change
 * one record, write the file back with every other record byte for byte, raise gpt.ini's version.
 * The same format and rules as CredHop's module (resources/powershell/CredHop, "policy file").
 * Constant text: no value is interpolated into it.
 */
const POLICY_FUNCTIONS = String.raw`# ---- The local Group Policy object (Registry.pol) -------------------------------------------------
# Windows keeps the local policy in a binary file: the header 'PReg' 1, then [key;name;type;size;data]
# records in UTF-16LE. A Group Policy refresh re-applies it to the registry, so a change made only in the
# registry would not last, and an entry left only here would come back. These functions change single
# records and keep every other record byte for byte, as CredHop's own module does.
$PolicyKey = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$PolicyConcatenate = @{ AllowFreshCredentials = 'ConcatenateDefaults_AllowFresh'; AllowFreshCredentialsWhenNTLMOnly = 'ConcatenateDefaults_AllowFreshNTLMOnly' }

function Get-CredHopPolicyPath { [System.IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'Machine', 'Registry.pol') }

function Read-CredHopPolicy {
    $records = New-Object System.Collections.Generic.List[object]
    $pol = @{ Header = [byte[]](0x50, 0x52, 0x65, 0x67, 1, 0, 0, 0); Records = $records }
    $path = Get-CredHopPolicyPath
    if (-not [System.IO.File]::Exists($path)) { return $pol }
    $b = [System.IO.File]::ReadAllBytes($path)
    if ($b.Length -eq 0) { return $pol }
    if ($b.Length -lt 8 -or [System.Text.Encoding]::ASCII.GetString($b, 0, 4) -ne 'PReg') { throw "Not a Registry.pol file: $path" }
    $pol.Header = [byte[]]$b[0..7]
    $u = [System.Text.Encoding]::Unicode
    $i = 8
    while ($i -lt $b.Length) {
        $start = $i
        $i += 2
        $text = @()
        foreach ($field in 'key', 'name') {
            $s = $i
            while ($i + 1 -lt $b.Length -and -not ($b[$i] -eq 0 -and $b[$i + 1] -eq 0)) { $i += 2 }
            if ($i + 1 -ge $b.Length) { throw "Registry.pol is damaged: $path" }
            $text += $u.GetString($b, $s, $i - $s)
            $i += 4
        }
        $type = [BitConverter]::ToUInt32($b, $i); $i += 6
        $size = [BitConverter]::ToUInt32($b, $i); $i += 6
        if ($i + $size + 2 -gt $b.Length) { throw "Registry.pol is damaged: $path" }
        $data = New-Object byte[] $size
        [Array]::Copy($b, $i, $data, 0, $size)
        $i += $size + 2
        $raw = New-Object byte[] ($i - $start)
        [Array]::Copy($b, $start, $raw, 0, $i - $start)
        $records.Add(@{ Key = $text[0]; Name = $text[1]; Type = [int]$type; Data = $data; Raw = $raw })
    }
    $pol
}

function New-CredHopPolicyRecord([string]$Key, [string]$Name, [int]$Type, [byte[]]$Data) {
    $u = [System.Text.Encoding]::Unicode
    $ms = New-Object System.IO.MemoryStream
    foreach ($part in @($u.GetBytes('[' + $Key + [char]0 + ';' + $Name + [char]0 + ';'), [BitConverter]::GetBytes([uint32]$Type), $u.GetBytes(';'), [BitConverter]::GetBytes([uint32]$Data.Length), $u.GetBytes(';'), $Data, $u.GetBytes(']'))) { $ms.Write($part, 0, $part.Length) }
    @{ Key = $Key; Name = $Name; Type = $Type; Data = $Data; Raw = $ms.ToArray() }
}

function Set-CredHopPolicyDword($Pol, [string]$Name, $Value) {
    # One DWORD of the CredentialsDelegation key: replaced where it is, added at the end, or removed ($null).
    $at = -1
    for ($i = 0; $i -lt $Pol.Records.Count; $i++) { if ($Pol.Records[$i].Key -eq $PolicyKey -and $Pol.Records[$i].Name -eq $Name) { $at = $i } }
    if ($null -eq $Value) {
        for ($i = $Pol.Records.Count - 1; $i -ge 0; $i--) { if ($Pol.Records[$i].Key -eq $PolicyKey -and $Pol.Records[$i].Name -eq $Name) { $Pol.Records.RemoveAt($i) } }
        return
    }
    $bytes = [BitConverter]::GetBytes([uint32]$Value)
    if ($at -lt 0) { $Pol.Records.Add((New-CredHopPolicyRecord $PolicyKey $Name 4 $bytes)); return }
    $r = $Pol.Records[$at]
    if ($r.Type -eq 4 -and [Convert]::ToBase64String($r.Data) -eq [Convert]::ToBase64String($bytes)) { return }
    $Pol.Records[$at] = New-CredHopPolicyRecord $r.Key $r.Name 4 $bytes
}

function Save-CredHopPolicy($Pol) {
    $ms = New-Object System.IO.MemoryStream
    $ms.Write($Pol.Header, 0, $Pol.Header.Length)
    foreach ($r in $Pol.Records) { $ms.Write($r.Raw, 0, $r.Raw.Length) }
    $path = Get-CredHopPolicyPath
    [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($path))
    $tmp = $path + '.runbook.tmp'
    [System.IO.File]::WriteAllBytes($tmp, $ms.ToArray())
    if ([System.IO.File]::Exists($path)) { [System.IO.File]::Replace($tmp, $path, [NullString]::Value) } else { [System.IO.File]::Move($tmp, $path) }
    # Raise the machine version in gpt.ini and list the registry extension, so Group Policy re-reads the file.
    $gpt = [System.IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'gpt.ini')
    $ext = '[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]'
    $lines = New-Object System.Collections.Generic.List[string]
    if ([System.IO.File]::Exists($gpt)) { $lines.AddRange([string[]][System.IO.File]::ReadAllLines($gpt)) }
    if (-not ($lines | Where-Object { $_.Trim() -eq '[General]' })) { $lines.Insert(0, '[General]') }
    $general = [Array]::FindIndex($lines.ToArray(), [Predicate[string]] { param($l) $l.Trim() -eq '[General]' })
    $version = [Array]::FindIndex($lines.ToArray(), [Predicate[string]] { param($l) $l -match '^\s*Version\s*=' })
    $names = [Array]::FindIndex($lines.ToArray(), [Predicate[string]] { param($l) $l -match '^\s*gPCMachineExtensionNames\s*=' })
    if ($names -lt 0) { $lines.Insert($general + 1, 'gPCMachineExtensionNames=' + $ext); if ($version -gt $general) { $version++ } }
    elseif ($lines[$names].IndexOf('35378EAC-683F-11D2-A89A-00C04FBBCFA2', [StringComparison]::OrdinalIgnoreCase) -lt 0) { $lines[$names] = 'gPCMachineExtensionNames=' + $ext + $lines[$names].Substring($lines[$names].IndexOf('=') + 1).Trim() }
    $old = [long]0
    if ($version -ge 0 -and $lines[$version] -match '=\s*(\d+)\s*$') { $old = [long]$Matches[1] }
    $machine = ($old -band 0xFFFF) + 1; if ($machine -gt 0xFFFF) { $machine = 1 }
    $new = 'Version=' + (([long][math]::Floor($old / 65536)) * 65536 + $machine)
    if ($version -ge 0) { $lines[$version] = $new } else { $lines.Insert($general + 1, $new) }
    [System.IO.File]::WriteAllText($gpt, (($lines.ToArray() -join [Environment]::NewLine) + [Environment]::NewLine), [System.Text.Encoding]::ASCII)
}

function Get-CredHopPolicyString($Record) {
    if ($Record.Type -ne 1 -and $Record.Type -ne 2) { return $null }
    [System.Text.Encoding]::Unicode.GetString($Record.Data).TrimEnd([char]0)
}

function Set-CredHopPolicyEntry {
    # Adds one delegation entry to the local Group Policy object and switches the list on (both DWORDs 1).
    param([string]$List, [string]$Name, [string]$Value)
    $pol = Read-CredHopPolicy
    $sub = $PolicyKey + '\' + $List
    foreach ($r in $pol.Records) {
        if ($r.Key -eq $sub -and (Get-CredHopPolicyString $r) -eq $Value -and -not $r.Name.StartsWith('**')) { return }
        if ($r.Key -eq $sub -and $r.Name -eq $Name) { throw "Value $Name of the local policy's $List list is taken: this computer changed since the runbook was exported. Export it again." }
    }
    Set-CredHopPolicyDword $pol $List 1
    Set-CredHopPolicyDword $pol $PolicyConcatenate[$List] 1
    $pol.Records.Add((New-CredHopPolicyRecord $sub $Name 1 ([System.Text.Encoding]::Unicode.GetBytes($Value + [char]0))))
    Save-CredHopPolicy $pol
}

function Restore-CredHopPolicyEntry {
    # Removes exactly one entry (this value name holding this value) from the local Group Policy object,
    # puts both DWORDs back ($null: absent) and drops the keys when they were not there before and are empty.
    param([string]$List, [string]$Name, [string]$Value, $Allow, $Concatenate, [bool]$RemoveEmptyListKey, [bool]$RemoveEmptyKey)
    $pol = Read-CredHopPolicy
    $before = ($pol.Records | ForEach-Object { [Convert]::ToBase64String($_.Raw) }) -join '|'
    $sub = $PolicyKey + '\' + $List
    for ($i = $pol.Records.Count - 1; $i -ge 0; $i--) {
        $r = $pol.Records[$i]
        if ($r.Key -eq $sub -and $r.Name -eq $Name -and (Get-CredHopPolicyString $r) -eq $Value) { $pol.Records.RemoveAt($i) }
    }
    Set-CredHopPolicyDword $pol $List $Allow
    Set-CredHopPolicyDword $pol $PolicyConcatenate[$List] $Concatenate
    if ($RemoveEmptyListKey -and -not ($pol.Records | Where-Object { $_.Key -eq $sub -and $_.Name -ne '' -and -not $_.Name.StartsWith('**') })) {
        for ($i = $pol.Records.Count - 1; $i -ge 0; $i--) { if ($pol.Records[$i].Key -eq $sub) { $pol.Records.RemoveAt($i) } }
    }
    if ($RemoveEmptyKey -and -not ($pol.Records | Where-Object { $_.Key.StartsWith($PolicyKey + '\', [StringComparison]::OrdinalIgnoreCase) -or ($_.Key -eq $PolicyKey -and $_.Name -ne '') })) {
        for ($i = $pol.Records.Count - 1; $i -ge 0; $i--) { if ($pol.Records[$i].Key -eq $PolicyKey) { $pol.Records.RemoveAt($i) } }
    }
    $after = ($pol.Records | ForEach-Object { [Convert]::ToBase64String($_.Raw) }) -join '|'
    if ($after -ne $before) { Save-CredHopPolicy $pol }
}

function Remove-CredHopEmptyKey([string]$Path) {
    # A registry key is removed only when it exists and holds no value and no subkey.
    if (-not (Test-Path -LiteralPath $Path)) { return }
    $item = Get-Item -LiteralPath $Path
    if (@($item.GetValueNames() | Where-Object { $_ -ne '' }).Count -eq 0 -and @($item.GetSubKeyNames()).Count -eq 0) { Remove-Item -LiteralPath $Path }
}`;

const REGISTRY_KEY = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation';

function indent(lines: string[]): string[] {
  return lines.map((l) => (l === '' ? '' : `    ${l}`));
}

function dword(value: number | null): string {
  return value === null ? '$null' : String(value);
}

export interface RunbookOptions {
  /** The jump server account, offered as the user name when the runbook asks for the credential. */
  account?: string | undefined;
}

/** The file name the wizard offers and the command line writes by default: CredHop-<profile>.ps1. */
export function runbookFileName(profileName: string): string {
  const safeName = profileName.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'profile';
  return `CredHop-${safeName}.ps1`;
}

export function runbook(plan: Plan, snapshot: Snapshot, generatedAt: string, options: RunbookOptions = {}): string {
  const client = snapshot.client;
  const computer = comment(client.computerName);
  const serverChanges = plan.changes.filter((c) => c.step === 'server');
  const clientChanges = plan.changes.filter((c) => c.step === 'client');
  const credential = `$cred = Get-Credential ${options.account ? `-UserName ${psLiteral(options.account)} ` : ''}-Message ${psLiteral(`Account for ${plan.jumpServer}`)}`;
  const stateLines = (label: string, l: Snapshot['client']['delegation']['fresh']['local']) =>
    `#   ${label}: allow=${dword(l.allow)}, concatenate=${dword(l.concatenate)}, entries=[${l.entries.map((e) => comment(`${e.name}=${e.value}`)).join(', ')}]`;

  const lines: string[] = [
    '#Requires -RunAsAdministrator',
    `# CredHop runbook: CredSSP for the second hop ${computer} -> ${comment(plan.jumpServer)} -> ${comment(plan.target)}`,
    `# Generated ${comment(generatedAt)} from the check of ${comment(snapshot.takenAt)}. Read every step before you run it,`,
    `# in an elevated PowerShell on ${computer}:`,
    '#   .\\<this file>.ps1            makes exactly the changes CredHop would make, then tests the hop',
    '#   .\\<this file>.ps1 -Restore   removes exactly those entries (by value name) and puts every flag back',
    '#',
    '# It writes the registry AND the local Group Policy object (Registry.pol), as CredHop does. It does not use',
    '# Enable-WSManCredSSP (which appends at "count + 1" and so can overwrite an entry where value names have a',
    '# gap, and cannot write the NTLM-only list) nor Disable-WSManCredSSP (which strips every wsman/* entry).',
    '#',
  ];
  if (plan.blockers.length > 0) {
    lines.push(
      '# BLOCKED: CredHop would not run this plan, so this runbook stops before changing anything:',
      ...plan.blockers.map((b) => `#   - ${comment(b.message)} What to do: ${comment(b.resolution)}`),
      '#',
    );
  }
  lines.push(
    '# Risks:',
    ...plan.risks.map((r) => `#   - ${comment(r)}`),
    '#',
    `# The state when CredHop checked (what -Restore returns to):`,
    `#   WinRM client CredSSP on ${computer}: ${String(client.winrm.clientCredSSP)}; WinRM service CredSSP on ${comment(plan.jumpServer)}: ${String(snapshot.server.serviceCredSSP)}`,
    stateLines('AllowFreshCredentials (registry)', client.delegation.fresh.effective),
    stateLines('AllowFreshCredentials (local policy)', client.delegation.fresh.local),
    stateLines('AllowFreshCredentialsWhenNTLMOnly (registry)', client.delegation.freshNtlm.effective),
    stateLines('AllowFreshCredentialsWhenNTLMOnly (local policy)', client.delegation.freshNtlm.local),
    '',
    'param([switch]$Restore)',
    "$ErrorActionPreference = 'Stop'",
  );
  if (plan.blockers.length > 0) {
    const b = plan.blockers[0]!;
    lines.push(`throw ${psLiteral(`${b.message} Nothing was changed. What to do: ${b.resolution}`)}`);
  }
  lines.push(
    `$jumpServer = ${psLiteral(plan.jumpServer)}`,
    `$target = ${psLiteral(plan.target)}`,
    '',
    POLICY_FUNCTIONS,
    '',
    'if (-not $Restore) {',
  );

  const apply: string[] = [credential, '', '# 1. The state now (compare it with the state above)', 'Get-WSManCredSSP', ''];
  apply.push('# 2. Configure this computer');
  if (clientChanges.length === 0) apply.push('#    (nothing to change)');
  for (const c of clientChanges) {
    const name = c.change.kind === 'add-delegation' ? nextFreeValueName(client.delegation[c.change.list]) : undefined;
    apply.push(`# ${comment(c.title)}`, ...powershellFor(c.change, plan.jumpServer, name).split('\n'), '');
  }
  apply.push('# 3. Configure the jump server');
  if (serverChanges.length === 0) apply.push('#    (nothing to change)');
  for (const c of serverChanges) apply.push(`# ${comment(c.title)}`, powershellFor(c.change, plan.jumpServer).replace('-ScriptBlock', '-Credential $cred -ScriptBlock'), '');
  apply.push(
    '# 4. Test the hop: from the jump server, run a command on the target with your delegated credentials',
    'Invoke-Command -ComputerName $jumpServer -Credential $cred -Authentication CredSSP -ScriptBlock {',
    '    Invoke-Command -ComputerName $using:target -ScriptBlock { hostname; whoami }',
    '}',
    "Write-Output 'Configured and tested. When the job is done, run this runbook again with -Restore.'",
  );
  lines.push(...indent(apply), '}', 'else {');

  const restore: string[] = ['# 5. Restore exactly what step 2 and 3 changed, nothing else'];
  if (serverChanges.length > 0) restore.push(credential);
  for (const c of clientChanges) {
    const ch = c.change;
    if (ch.kind !== 'add-delegation') continue;
    const v = listValueNames(ch.list);
    const stores = client.delegation[ch.list];
    const before = stores.effective;
    const name = nextFreeValueName(stores);
    restore.push(
      `# Remove value ${name} (${comment(ch.spn)}) from ${v.list}, in the registry and the local policy; the other entries stay`,
      `$key = ${psLiteral(REGISTRY_KEY)}`,
      `$list = ${psLiteral(`${REGISTRY_KEY}\\${v.list}`)}`,
      `if ((Test-Path -LiteralPath $list) -and (Get-Item -LiteralPath $list).GetValue(${psLiteral(name)}) -eq ${psLiteral(ch.spn)}) { Remove-ItemProperty -LiteralPath $list -Name ${psLiteral(name)} }`,
      ...[
        [v.allow, before.allow],
        [v.concatenate, before.concatenate],
      ].map(([valueName, was]) =>
        was === null
          ? `if ((Test-Path -LiteralPath $key) -and $null -ne (Get-Item -LiteralPath $key).GetValue(${psLiteral(String(valueName))})) { Remove-ItemProperty -LiteralPath $key -Name ${psLiteral(String(valueName))} }`
          : `New-ItemProperty -LiteralPath $key -Name ${psLiteral(String(valueName))} -Value ${String(was)} -PropertyType DWord -Force | Out-Null`,
      ),
      ...(before.listKeyExists ? [] : ['Remove-CredHopEmptyKey $list']),
      ...(before.keyExists ? [] : ['Remove-CredHopEmptyKey $key']),
      `Restore-CredHopPolicyEntry -List ${psLiteral(v.list)} -Name ${psLiteral(name)} -Value ${psLiteral(ch.spn)} -Allow ${dword(before.allow)} -Concatenate ${dword(before.concatenate)} -RemoveEmptyListKey $${String(!before.listKeyExists)} -RemoveEmptyKey $${String(!before.keyExists)}`,
      '',
    );
  }
  for (const c of plan.changes) {
    const ch = c.change;
    const th = client.trustedHosts;
    if (ch.kind === 'trusted-hosts' && th && th.value !== null) {
      const left = withTrustedHost(th.value, ch.entry);
      restore.push(
        `# TrustedHosts, exactly as it was (only while it is still what step 2 left; otherwise remove ${comment(ch.entry)} by hand)`,
        `if ((Get-Item -Path WSMan:\\localhost\\Client\\TrustedHosts).Value -ceq ${psLiteral(left)}) { Set-Item -Path WSMan:\\localhost\\Client\\TrustedHosts -Value ${psLiteral(th.value)} -Force }`,
        '',
      );
    }
    if (ch.kind === 'client-credssp' && client.winrm.clientCredSSP !== null) {
      restore.push('# The WinRM client flag, as it was', powershellFor({ ...ch, enabled: client.winrm.clientCredSSP }, plan.jumpServer), '');
    }
  }
  for (const c of serverChanges) {
    const ch = c.change;
    if (ch.kind === 'server-credssp' && snapshot.server.serviceCredSSP !== null) {
      restore.push(`# The WinRM service flag on ${comment(plan.jumpServer)}, as it was`, powershellFor({ ...ch, enabled: snapshot.server.serviceCredSSP }, plan.jumpServer).replace('-ScriptBlock', '-Credential $cred -ScriptBlock'), '');
    }
  }
  restore.push('# 6. Check: this should show the state from the top of this file', 'Get-WSManCredSSP');
  lines.push(...indent(restore), '}', '');
  return lines.join('\r\n');
}
