// Restore as pure decisions: from the snapshot, what CredHop intended, and the state now, the exact
// operations that return each value to the snapshot. Only what CredHop touched is touched: entries
// that were there before stay with their value names, and Disable-WSManCredSSP is never used.
import { resolve } from 'node:path';
import type { Change, DelegationEntry, DelegationListName, HostState, ServerState, Snapshot } from '../../shared/domain/hop';
import type { BeginRecord } from './journal';
import { trustedHostsHas, withTrustedHost, withoutTrustedHosts } from './trusted-hosts';

export type RestoreOp =
  | { kind: 'remove-delegation'; list: DelegationListName; entries: DelegationEntry[] }
  | { kind: 'set-delegation-flags'; list: DelegationListName; allow: number | null; concatenate: number | null; removeEmptyListKey: boolean; removeEmptyKey: boolean; store: 'both' | 'local' | 'effective' }
  | { kind: 'client-credssp'; enabled: boolean }
  | { kind: 'winrm-service'; running: boolean; startType: string | null }
  /** Set the whole TrustedHosts string to `value`, only while it is still exactly `expect`. */
  | { kind: 'trusted-hosts'; value: string; expect: string; note?: string }
  | { kind: 'server-credssp'; enabled: boolean };

const same = (a: DelegationEntry, b: DelegationEntry) => a.name === b.name && a.value.toLowerCase() === b.value.toLowerCase();

export function clientRestoreOps(snap: Snapshot, intents: readonly Change[], now: HostState): RestoreOp[] {
  const ops: RestoreOp[] = [];
  for (const list of ['fresh', 'freshNtlm'] as const) {
    const spns = intents.filter((c) => c.kind === 'add-delegation' && c.list === list).map((c) => (c as Extract<Change, { kind: 'add-delegation' }>).spn.toLowerCase());
    if (spns.length === 0) continue;
    const before = snap.client.delegation[list];
    const current = now.delegation[list];
    const extra: DelegationEntry[] = [];
    for (const store of ['local', 'effective'] as const) {
      for (const e of current[store].entries) {
        const ours = spns.includes(e.value.toLowerCase());
        const wasThere = before[store].entries.some((b) => same(b, e));
        if (ours && !wasThere && !extra.some((x) => same(x, e))) extra.push(e);
      }
    }
    if (extra.length > 0) ops.push({ kind: 'remove-delegation', list, entries: extra });
    // Each store goes back to its own snapshot: they can differ (a script wrote the registry directly).
    const needs = (s: 'local' | 'effective') => {
      const c = current[s];
      const o = before[s];
      return c.allow !== o.allow || c.concatenate !== o.concatenate || (!o.listKeyExists && c.listKeyExists) || (!o.keyExists && c.keyExists);
    };
    const flagsOf = (o: (typeof before)['local']) => ({ allow: o.allow, concatenate: o.concatenate, removeEmptyListKey: !o.listKeyExists, removeEmptyKey: !o.keyExists });
    const storesAlike = JSON.stringify(flagsOf(before.local)) === JSON.stringify(flagsOf(before.effective));
    if (storesAlike) {
      if (needs('local') || needs('effective')) ops.push({ kind: 'set-delegation-flags', list, ...flagsOf(before.effective), store: 'both' });
    } else {
      for (const s of ['local', 'effective'] as const) if (needs(s)) ops.push({ kind: 'set-delegation-flags', list, ...flagsOf(before[s]), store: s });
    }
  }
  const th = trustedHostsRestoreOp(snap, intents, now);
  if (th) ops.push(th);
  const touchedClientFlag = intents.some((c) => c.kind === 'client-credssp');
  const wanted = snap.client.winrm.clientCredSSP;
  if (touchedClientFlag && wanted !== null && now.winrm.clientCredSSP !== wanted) ops.push({ kind: 'client-credssp', enabled: wanted });
  // The WinRM service: the flag can only be set while it runs, so it is started first when needed
  // (a crash may have left it stopped) and put back last, status and start type as they were.
  const serviceBefore = snap.client.winrmService;
  const serviceNow = now.winrmService;
  if (ops.some((o) => o.kind === 'client-credssp' || o.kind === 'trusted-hosts') && serviceNow && serviceNow.status !== 'Running') {
    ops.unshift({ kind: 'winrm-service', running: true, startType: null });
  }
  const touchedService = intents.some((c) => c.kind === 'winrm-service') || ops.some((o) => o.kind === 'winrm-service');
  if (touchedService && serviceBefore && (ops.length > 0 || !serviceNow || serviceNow.status !== serviceBefore.status || serviceNow.startType !== serviceBefore.startType)) {
    ops.push({ kind: 'winrm-service', running: serviceBefore.status === 'Running', startType: serviceBefore.startType });
  }
  return ops;
}

/** The TrustedHosts entries CredHop added in a session. */
export function trustedHostsIntents(intents: readonly Change[]): string[] {
  return intents.flatMap((c) => (c.kind === 'trusted-hosts' ? [c.entry] : []));
}

/**
 * TrustedHosts back to the snapshot: the exact string (an empty one included) when the list is what
 * CredHop left; when someone else changed it since, only CredHop's own entry is taken out and their
 * edit stays (the note says so); when CredHop's entry is gone already, nothing is done.
 */
export function trustedHostsRestoreOp(snap: Snapshot, intents: readonly Change[], now: HostState): Extract<RestoreOp, { kind: 'trusted-hosts' }> | null {
  const entries = trustedHostsIntents(intents);
  const before = snap.client.trustedHosts?.value;
  const current = now.trustedHosts?.value;
  if (entries.length === 0 || before === null || before === undefined || current === null || current === undefined || current === before) return null;
  const left = entries.reduce((list, e) => withTrustedHost(list, e), before);
  if (current === left) return { kind: 'trusted-hosts', value: before, expect: current };
  const mine = entries.filter((e) => trustedHostsHas(current, e) && !trustedHostsHas(before, e));
  if (mine.length === 0) return null;
  const value = withoutTrustedHosts(current, mine);
  return { kind: 'trusted-hosts', value, expect: current, note: `TrustedHosts was changed by someone else after CredHop added ${mine.join(', ')}: CredHop removed only its own entry and kept their change (now "${value}", was "${before}" before CredHop).` };
}

/** Said after a restore when TrustedHosts differs from the snapshot only by someone else's edit (kept). */
export function trustedHostsNote(snap: Snapshot, intents: readonly Change[], after: HostState): string | null {
  const before = snap.client.trustedHosts?.value;
  const now = after.trustedHosts?.value;
  if (trustedHostsIntents(intents).length === 0 || before == null || now == null || before === now) return null;
  return `TrustedHosts is "${now}" (was "${before}"): someone else changed it after CredHop did; CredHop's own entry is gone and their change is kept.`;
}

export function serverRestoreOp(snap: Snapshot, intents: readonly Change[], now: ServerState | null): Extract<RestoreOp, { kind: 'server-credssp' }> | null {
  if (!intents.some((c) => c.kind === 'server-credssp')) return null;
  const wanted = snap.server.serviceCredSSP;
  if (wanted === null) return null;
  if (now !== null && now.serviceCredSSP === wanted) return null;
  return { kind: 'server-credssp', enabled: wanted };
}

function describeList(list: HostState['delegation']['fresh']['local']): string {
  const entries = [...list.entries].sort((a, b) => Number(a.name) - Number(b.name)).map((e) => `${e.name}=${e.value}`).join(', ');
  return `allow=${list.allow ?? 'absent'}, concatenate=${list.concatenate ?? 'absent'}, entries=[${entries}]`;
}

/** Every difference, in plain words, between the snapshot and the state read after restore. */
export function diffStates(snap: Snapshot, client: HostState, server: ServerState | null, intents?: readonly Change[]): string[] {
  const out: string[] = [];
  const tb = snap.client.trustedHosts?.value;
  const ta = client.trustedHosts?.value;
  if (tb != null && ta != null && tb !== ta) {
    // Someone else's edit of the list is theirs (kept and noted); only an entry of CredHop's left behind is a difference.
    const mine = intents ? trustedHostsIntents(intents).filter((e) => trustedHostsHas(ta, e) && !trustedHostsHas(tb, e)) : null;
    if (mine === null || mine.length > 0) out.push(`TrustedHosts on this computer is "${ta}" (was "${tb}").`);
  }
  if (client.winrm.clientCredSSP !== snap.client.winrm.clientCredSSP) {
    out.push(`WinRM client CredSSP is ${client.winrm.clientCredSSP} (was ${snap.client.winrm.clientCredSSP}).`);
  }
  const sb = snap.client.winrmService;
  const sa = client.winrmService;
  if (sb && sa && (sb.status !== sa.status || sb.startType !== sa.startType)) {
    out.push(`The WinRM service on this computer is ${sa.status} (${sa.startType}) (was ${sb.status} (${sb.startType})).`);
  }
  for (const list of ['fresh', 'freshNtlm'] as const) {
    for (const store of ['local', 'effective'] as const) {
      const before = describeList(snap.client.delegation[list][store]);
      const after = describeList(client.delegation[list][store]);
      if (before !== after) out.push(`${list === 'fresh' ? 'AllowFreshCredentials' : 'AllowFreshCredentialsWhenNTLMOnly'} (${store === 'local' ? 'local policy' : 'registry'}) is ${after} (was ${before}).`);
    }
  }
  if (server && server.serviceCredSSP !== snap.server.serviceCredSSP) {
    out.push(`WinRM service CredSSP on ${snap.jumpServer} is ${server.serviceCredSSP} (was ${snap.server.serviceCredSSP}).`);
  }
  if (!server) out.push(`The state of ${snap.jumpServer} could not be read after restore.`);
  return out;
}

/**
 * The practice lab a session was made in, when it is not the lab this CredHop runs on (null: restore it
 * here). Each practice lab has machines of its own; restoring another lab's session here would set these
 * machines to that lab's snapshot and leave that lab changed. Sessions without a lab (real mode, or
 * written before labs were recorded) are restored where they are found, as before.
 */
export function otherPracticeLab(begin: Pick<BeginRecord, 'practice' | 'lab'>, practiceLab: string | undefined): string | null {
  if (!begin.practice || begin.lab === undefined || practiceLab === undefined) return null;
  return resolve(begin.lab) === resolve(practiceLab) ? null : begin.lab;
}

/** What a restore says of a session it left for its own practice lab: where it was made, and the command. */
export function otherLabDifference(lab: string): string {
  return `This session was made in another practice lab (${lab}); its machines are not these, so nothing was changed and it stays open. Restore it there: credhop restore --lab "${lab}" (or choose that lab in Settings).`;
}
