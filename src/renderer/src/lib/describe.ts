// Plain words for the machine state and for changes, and the before/after comparison the steps show.
import type { Change, DelegationList, HostState, ServerState } from '../../../shared/domain/hop';

export interface StateRow {
  key: string;
  label: string;
  value: string;
}

function onOff(value: boolean | null): string {
  return value === null ? 'Unknown (could not be read)' : value ? 'On' : 'Off';
}

function policy(value: number | null): string {
  return value === null ? 'Not set (the local setting applies)' : `Set by Group Policy (${value === 1 ? 'enabled' : value === 0 ? 'disabled' : value})`;
}

export function describeList(list: DelegationList): string {
  // The parent key is shared by both lists, so only this list's own values say whether it is configured.
  if (list.allow === null && list.concatenate === null && !list.listKeyExists && list.entries.length === 0) return 'Not configured';
  const allow = list.allow === 1 ? 'Enabled' : list.allow === null ? 'Not enabled' : `Enabled = ${list.allow}`;
  const entries = list.entries.length === 0 ? 'no entries' : list.entries.map((e) => `${e.value} (value ${e.name})`).join(', ');
  return `${allow}; ${entries}`;
}

export function clientRows(c: HostState): StateRow[] {
  return [
    { key: 'client-credssp', label: 'WinRM client accepts CredSSP', value: onOff(c.winrm.clientCredSSP) },
    { key: 'client-policy', label: 'WinRM client: Group Policy "Allow CredSSP"', value: policy(c.winrm.clientPolicyAllowCredSSP) },
    // Status and start type, as restore must put them back (client editions leave WinRM stopped, Manual).
    ...(c.winrmService ? [{ key: 'winrm-service', label: 'WinRM service on this computer (status, start type)', value: `${c.winrmService.status} (${c.winrmService.startType})` }] : []),
    { key: 'fresh-effective', label: 'Delegate fresh credentials (effective policy)', value: describeList(c.delegation.fresh.effective) },
    { key: 'fresh-local', label: 'Delegate fresh credentials (local Group Policy)', value: describeList(c.delegation.fresh.local) },
    { key: 'ntlm-effective', label: 'NTLM-only list (effective policy)', value: describeList(c.delegation.freshNtlm.effective) },
    { key: 'ntlm-local', label: 'NTLM-only list (local Group Policy)', value: describeList(c.delegation.freshNtlm.local) },
    { key: 'trusted-hosts', label: 'WinRM TrustedHosts (this computer)', value: !c.trustedHosts ? 'Not read' : c.trustedHosts.value === null ? 'Unknown (could not be read)' : `${c.trustedHosts.value === '' ? '(empty)' : c.trustedHosts.value}${c.trustedHosts.policyOwned ? ' (set by Group Policy)' : ''}` },
    { key: 'service-local', label: 'This computer\'s WinRM service accepts CredSSP', value: onOff(c.winrm.serviceCredSSP) },
    { key: 'oracle', label: 'Encryption Oracle Remediation (CVE-2018-0886)', value: c.encryptionOracle === null ? 'Not set' : String(c.encryptionOracle) },
  ];
}

export function serverRows(s: ServerState): StateRow[] {
  return [
    { key: 'server-credssp', label: 'WinRM service accepts CredSSP', value: onOff(s.serviceCredSSP) },
    { key: 'server-policy', label: 'WinRM service: Group Policy "Allow CredSSP"', value: policy(s.servicePolicyAllowCredSSP) },
  ];
}

export interface CompareRow {
  key: string;
  label: string;
  before: string;
  after: string;
  changed: boolean;
}

export function compare(before: StateRow[], after: StateRow[]): CompareRow[] {
  return before.map((b) => {
    const a = after.find((r) => r.key === b.key)?.value ?? b.value;
    return { key: b.key, label: b.label, before: b.value, after: a, changed: a !== b.value };
  });
}

export function describeChange(c: Change, jumpServer: string): string {
  switch (c.kind) {
    case 'add-delegation':
      return c.list === 'fresh'
        ? `This computer may delegate fresh credentials to ${c.spn}`
        : `This computer may delegate fresh credentials to ${c.spn} even over NTLM`;
    case 'client-credssp':
      return `CredSSP ${c.enabled ? 'on' : 'off'} in this computer's WinRM client`;
    case 'winrm-service':
      return 'The WinRM service runs on this computer (it is stopped again on restore)';
    case 'server-credssp':
      return `CredSSP ${c.enabled ? 'on' : 'off'} in the WinRM service of ${jumpServer}`;
    case 'trusted-hosts':
      return `${c.entry} is in this computer's WinRM TrustedHosts list (the list is put back exactly on restore)`;
    case 'restore-task':
      return `A scheduled restore on ${c.host === 'client' ? 'this computer' : jumpServer} puts this back at the end of the time box, even if CredHop is closed`;
  }
}

/** "12:05" or "1:02:05" from milliseconds (never negative). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** Spoken form for screen readers: "12 minutes" / "less than a minute". */
export function spokenRemaining(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (ms <= 0) return 'now';
  if (minutes <= 1) return 'less than a minute';
  return `${minutes} minutes`;
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
