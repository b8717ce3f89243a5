// The scan's decisions, pure: from what one machine answered (or how it failed), the findings —
// each explained in plain words with the fix as PowerShell. A clean machine has none.
import type { ErrorRecordData } from '../../shared/domain/hop';
import type { DelegationEntryView, Finding, MachineReport } from '../../shared/domain/scan';
import { psLiteral } from '../hop/quote';
import type { MachineRaw, ScanItem } from './raw';
import { decodeMachine } from './raw';

/** An open CredHop session (from the journal) and the machines it changed. */
export interface SessionRef {
  session: string;
  profileName: string;
  jumpServer: string;
  client: string;
}

const CD = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation';
const ORACLE = 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\CredSSP\\Parameters';
const LISTS = {
  fresh: { allow: 'AllowFreshCredentials', sub: 'AllowFreshCredentials', words: 'fresh credentials', gp: 'Allow delegating fresh credentials' },
  freshNtlm: {
    allow: 'AllowFreshCredentialsWhenNTLMOnly',
    sub: 'AllowFreshCredentialsWhenNTLMOnly',
    words: 'fresh credentials to servers authenticated by NTLM only',
    gp: 'Allow delegating fresh credentials with NTLM-only server authentication',
  },
} as const;
type ListName = keyof typeof LISTS;
const GPEDIT = 'Computer Configuration > Administrative Templates > System > Credentials Delegation';

/** Same machine? Names as typed may be short or fully qualified. */
export function sameMachine(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const short = (s: string): string => s.split('.')[0] ?? s;
  return (!x.includes('.') || !y.includes('.')) && short(x) === short(y);
}

function remote(computer: string, body: string): string {
  return `Invoke-Command -ComputerName ${psLiteral(computer)} -ScriptBlock { ${body} }`;
}

function dword(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v < 0 ? v + 4294967296 : v;
  if (typeof v === 'string' && /^\d{1,10}$/.test(v)) return Number(v);
  return null;
}

function keyValues(k: MachineRaw['fresh']): Record<string, unknown> {
  return k !== null && typeof k === 'object' ? k : {};
}

/** The registry's (effective) entries of one list, when the list is enabled. */
function registryEntries(raw: MachineRaw, list: ListName): { enabled: boolean; entries: DelegationEntryView[] } {
  const enabled = dword(keyValues(raw.delegation)[LISTS[list].allow]) === 1;
  const entries: DelegationEntryView[] = [];
  for (const [name, value] of Object.entries(keyValues(raw[list]))) {
    if (typeof value === 'string') entries.push({ list, store: 'registry', name, value });
  }
  return { enabled, entries };
}

/** The local GPO's entries of one list, applying its records in order as the policy engine does. */
function localEntries(raw: MachineRaw, list: ListName): { enabled: boolean; entries: DelegationEntryView[] } {
  if (!Array.isArray(raw.localPolicy)) return { enabled: false, entries: [] };
  const parent = 'software\\policies\\microsoft\\windows\\credentialsdelegation';
  const sub = `${parent}\\${LISTS[list].sub.toLowerCase()}`;
  let allow: number | null = null;
  const values = new Map<string, { name: string; value: string }>();
  for (const r of raw.localPolicy) {
    const key = r.key.toLowerCase();
    const name = r.name;
    if (key === parent) {
      if (name.toLowerCase() === LISTS[list].allow.toLowerCase()) allow = typeof r.data === 'number' ? r.data : null;
      else if (name.toLowerCase() === `**del.${LISTS[list].allow.toLowerCase()}`) allow = null;
    } else if (key === sub) {
      if (name.toLowerCase() === '**delvals.') values.clear();
      else if (name.toLowerCase().startsWith('**del.')) values.delete(name.slice(6).toLowerCase());
      else if (!name.startsWith('**') && name !== '' && typeof r.data === 'string') values.set(name.toLowerCase(), { name, value: r.data });
    }
  }
  return { enabled: allow === 1, entries: [...values.values()].map((v) => ({ list, store: 'local-gpo' as const, name: v.name, value: v.value })) };
}

function entryHost(value: string): string | null {
  const m = /^[^/]+\/([^/:]+)/.exec(value);
  return m ? m[1]! : null;
}

function removeFix(computer: string, e: DelegationEntryView): string {
  if (e.store === 'local-gpo') {
    return `# In the local Group Policy of ${computer} (gpedit.msc): ${GPEDIT} > ${LISTS[e.list].gp} > Show..., remove ${e.value}\n${remote(computer, 'gpupdate /target:computer /force')}`;
  }
  return remote(computer, `Remove-ItemProperty -Path ${psLiteral(`${CD}\\${LISTS[e.list].sub}`)} -Name ${psLiteral(e.name)}`);
}

function where(e: DelegationEntryView): string {
  return `${e.store === 'registry' ? 'the registry' : 'the local Group Policy'} (value ${e.name} of the ${e.list === 'fresh' ? 'fresh' : 'NTLM-only'} list)`;
}

/** A machine that did not answer: why, in the words of the error's code (Windows is localized). */
export function failureFinding(computer: string, error: ErrorRecordData | undefined): Finding {
  const id = error?.fullyQualifiedErrorId ?? '';
  const code = error?.errorCode ?? null;
  if (id.startsWith('ComputerNotFound') || code === -2144108103) {
    return {
      kind: 'not-found',
      explanation: `The name ${computer} does not resolve: no machine by that name is known to DNS. It may have been retired or renamed; if so, remove it from the list (and from any delegation list that names it).`,
      fix: `Resolve-DnsName -Name ${psLiteral(computer)}`,
    };
  }
  if (id.startsWith('AccessDenied') || code === 5) {
    return {
      kind: 'access-denied',
      explanation: `${computer} answered but refused the account the scan ran as: it is not an administrator there. Nothing could be read; scan it again with an account that is.`,
      fix: `Invoke-Command -ComputerName ${psLiteral(computer)} -Credential (Get-Credential) -ScriptBlock { whoami }`,
    };
  }
  if (id.startsWith('WinRMOperationTimeout') || id.startsWith('CannotConnect') || code === -2144108250 || code === -2144108526) {
    return {
      kind: 'unreachable',
      explanation: `${computer} did not answer over WinRM within the time-out: it is off, off the network, behind a firewall, or its WinRM service is not running. Its CredSSP state is unknown.`,
      fix: `Test-WSMan -ComputerName ${psLiteral(computer)}`,
    };
  }
  return {
    kind: 'scan-failed',
    explanation: `${computer} could not be read: ${(error?.message ?? 'no answer').slice(0, 300)}`,
    fix: `Test-WSMan -ComputerName ${psLiteral(computer)}`,
  };
}

function sessionFindings(computer: string, sessions: readonly SessionRef[]): Finding[] {
  const out: Finding[] = [];
  for (const s of sessions) {
    const asServer = sameMachine(s.jumpServer, computer);
    const asClient = sameMachine(s.client, computer);
    if (!asServer && !asClient) continue;
    out.push({
      kind: 'credhop-session',
      explanation: `CredHop's own session for profile "${s.profileName}" is still open: it changed ${asServer ? `this machine's WinRM service (jump server ${s.jumpServer})` : `this machine's delegation settings (the client of the hop to ${s.jumpServer})`} and has not been restored yet. Restore puts it back exactly as it was.`,
      fix: 'npx credhop restore',
      session: s.session,
    });
  }
  return out;
}

/** The report for one machine, from its streamed item. */
export function machineFindings(computer: string, item: ScanItem, sessions: readonly SessionRef[]): MachineReport {
  const base = { computer, entries: [] as DelegationEntryView[], serviceCredSSP: null, clientCredSSP: null, encryptionOracle: null, credhopTasks: null, elapsedMs: item.elapsedMs };
  if (!item.ok) {
    return { ...base, status: 'failed', findings: [failureFinding(computer, item.error), ...sessionFindings(computer, sessions)] };
  }
  const raw = item.data === undefined ? null : decodeMachine(item.data);
  if (raw === null) {
    return { ...base, status: 'failed', findings: [failureFinding(computer, { message: 'its answer was not what the scan script sends.' })] };
  }
  const findings: Finding[] = [];

  const servicePolicy = dword(keyValues(raw.winrmServicePolicy).AllowCredSSP);
  if (servicePolicy === 1) {
    findings.push({
      kind: 'server-credssp-gpo',
      explanation: `${computer}'s WinRM service accepts CredSSP because a Group Policy forces it ("Allow CredSSP authentication" for the WinRM Service). It accepts delegated credentials from any client allowed to send them; turning the flag off there fails until the policy changes.`,
      fix: `# Set "Allow CredSSP authentication" (Windows Components > Windows Remote Management > WinRM Service) to Not Configured in the GPO, then:\n${remote(computer, 'gpupdate /target:computer /force; (Get-Item WSMan:\\localhost\\Service\\Auth\\CredSSP).Value')}`,
    });
  } else if (raw.serviceCredSSP === true) {
    findings.push({
      kind: 'server-credssp',
      explanation: `${computer}'s WinRM service accepts CredSSP: a client allowed to delegate can leave reusable credentials on it. Turn it off unless a hop needs it right now.`,
      fix: remote(computer, "Set-Item -Path 'WSMan:\\localhost\\Service\\Auth\\CredSSP' -Value $false -Force"),
    });
  }
  const clientPolicy = dword(keyValues(raw.winrmClientPolicy).AllowCredSSP);
  if (clientPolicy === 1) {
    findings.push({
      kind: 'client-credssp-gpo',
      explanation: `${computer}'s WinRM client may use CredSSP because a Group Policy forces it ("Allow CredSSP authentication" for the WinRM Client).`,
      fix: `# Set "Allow CredSSP authentication" (Windows Components > Windows Remote Management > WinRM Client) to Not Configured in the GPO, then:\n${remote(computer, 'gpupdate /target:computer /force')}`,
    });
  } else if (raw.clientCredSSP === true) {
    findings.push({
      kind: 'client-credssp',
      explanation: `${computer}'s WinRM client has CredSSP turned on: from it, an operator's password can be sent to the servers its delegation lists name.`,
      fix: remote(computer, "Set-Item -Path 'WSMan:\\localhost\\Client\\Auth\\CredSSP' -Value $false -Force"),
    });
  }

  const entries: DelegationEntryView[] = [];
  for (const list of ['fresh', 'freshNtlm'] as const) {
    const stores = [registryEntries(raw, list), localEntries(raw, list)];
    const listEntries = stores.flatMap((st) => st.entries);
    entries.push(...listEntries);
    const enabled = stores.filter((st) => st.enabled && st.entries.length > 0);
    if (enabled.length > 0) {
      const targets = [...new Set(enabled.flatMap((st) => st.entries.map((e) => e.value)))];
      const shown = targets.length > 8 ? `${targets.slice(0, 8).join(', ')} and ${targets.length - 8} more` : targets.join(', ');
      const inRegistry = enabled.some((st) => st.entries[0]!.store === 'registry');
      const inLocal = enabled.some((st) => st.entries[0]!.store === 'local-gpo');
      const fixes: string[] = [];
      if (inLocal) fixes.push(`# In the local Group Policy of ${computer} (gpedit.msc): ${GPEDIT} > ${LISTS[list].gp}: Not Configured`);
      if (inRegistry) fixes.push(remote(computer, `Remove-Item -Path ${psLiteral(`${CD}\\${LISTS[list].sub}`)} -Recurse; Remove-ItemProperty -Path ${psLiteral(CD)} -Name ${psLiteral(LISTS[list].allow)}`));
      if (inLocal) fixes.push(remote(computer, 'gpupdate /target:computer /force'));
      findings.push({
        kind: 'client-delegates',
        explanation: `${computer} may delegate ${LISTS[list].words} to: ${shown} (${[inRegistry ? 'in the registry' : '', inLocal ? 'in the local Group Policy' : ''].filter(Boolean).join(' and ')}). Whoever controls those servers can reuse the password of anyone who hops there.`,
        fix: fixes.join('\n'),
      });
    }
    // One finding per entry value and kind, whichever stores hold it; the fix removes it from each.
    const byValue = new Map<string, DelegationEntryView[]>();
    for (const e of listEntries) {
      const k = e.value.toLowerCase();
      byValue.set(k, [...(byValue.get(k) ?? []), e]);
    }
    for (const group of byValue.values()) {
      const e = group[0]!;
      const host = entryHost(e.value);
      const places = group.map(where).join(', ');
      const fixAll = [...new Map(group.map((g) => [`${g.store}:${g.name}`, g])).values()].map((g) => removeFix(computer, g)).join('\n');
      if (host !== null && host.includes('*')) {
        findings.push({ kind: 'wildcard-entry', explanation: `${e.value} (${places}) lets ${computer} delegate to every machine it matches, not to one jump server.`, fix: fixAll });
      }
      for (const store of ['registry', 'local-gpo'] as const) {
        const inStore = group.filter((g) => g.store === store);
        if (inStore.length < 2) continue;
        findings.push({
          kind: 'duplicate-entry',
          explanation: `${e.value} is listed ${inStore.length} times in ${store === 'registry' ? 'the registry' : 'the local Group Policy'} (values ${inStore.map((g) => g.name).join(', ')}). Lists that are never cleaned grow this way.`,
          fix: inStore.slice(1).map((g) => removeFix(computer, g)).join('\n'),
        });
        break;
      }
      if (host !== null && !host.includes('*') && item.resolves?.[host] === false) {
        findings.push({ kind: 'stale-entry', explanation: `${e.value} (${places}) names ${host}, which no longer resolves: the machine is gone or renamed, and the entry only waits for someone to reuse the name.`, fix: fixAll });
      }
    }
  }

  const oracle = dword(keyValues(raw.oracle).AllowEncryptionOracle);
  if (oracle === 2) {
    findings.push({
      kind: 'encryption-oracle-vulnerable',
      explanation: `${computer} has "Encryption Oracle Remediation" set to Vulnerable (AllowEncryptionOracle = 2): CredSSP there talks to unpatched peers, exposing it to CVE-2018-0886.`,
      fix: remote(computer, `Set-ItemProperty -Path ${psLiteral(ORACLE)} -Name 'AllowEncryptionOracle' -Value 0 -Type DWord`),
    });
  }
  for (const task of raw.tasks ?? []) {
    if (!task.startsWith('CredHop restore ')) continue;
    // The armed safety net of a session still open is part of that session (reported below), not left over.
    if (sessions.some((s) => s.session === task.slice('CredHop restore '.length))) continue;
    findings.push({
      kind: 'credhop-task',
      explanation: `The scheduled task "${task}" is still registered on ${computer}: CredHop's safety net that restores this machine by itself. If its session was restored, it is left over.`,
      fix: remote(computer, `Unregister-ScheduledTask -TaskName ${psLiteral(task)} -Confirm:$false`),
    });
  }
  findings.push(...sessionFindings(computer, sessions));
  return {
    computer,
    status: 'answered',
    serviceCredSSP: raw.serviceCredSSP,
    clientCredSSP: raw.clientCredSSP,
    entries,
    encryptionOracle: oracle,
    credhopTasks: raw.tasks,
    findings,
    elapsedMs: item.elapsedMs,
  };
}
