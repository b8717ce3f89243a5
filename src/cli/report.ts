// Readable text for the command line. Pure: takes results, returns lines.
import type { Diagnosis, HostState, Plan } from '../shared/domain/hop';
import type { RestoreReport, TestResult } from '../main/hop/engine';
import type { OpenSession } from '../main/hop/journal';

export function stateLines(label: string, s: HostState): string[] {
  const list = (l: HostState['delegation']['fresh']['effective']) =>
    l.entries.length === 0 ? '(none)' : l.entries.map((e) => `${e.name}=${e.value}`).join(', ');
  return [
    `${label} ${s.computerName} (as ${s.userName}${s.isElevated ? ', elevated' : ', NOT elevated'})`,
    `  WinRM client CredSSP: ${s.winrm.clientCredSSP}    WinRM service CredSSP: ${s.winrm.serviceCredSSP}`,
    `  AllowFreshCredentials: ${list(s.delegation.fresh.effective)}`,
    `  AllowFreshCredentialsWhenNTLMOnly: ${list(s.delegation.freshNtlm.effective)}`,
  ];
}

export function planLines(plan: Plan): string[] {
  const out: string[] = [];
  // A blocked plan says why first, and that nothing was changed.
  if (plan.blockers.length > 0) {
    out.push(`Blocked: ${plan.blockers[0]!.message} Nothing was changed.`);
    for (const b of plan.blockers) out.push(`! ${b.message}`, `  What to do: ${b.resolution}`);
    out.push('', 'What CredHop would change once that is resolved:');
  }
  if (plan.changes.length === 0) out.push('Nothing to change: everything CredSSP needs is already in place.');
  for (const c of plan.changes) {
    out.push(`- [${c.step}] ${c.title}`);
    for (const line of c.powershell.split('\n')) out.push(`      ${line}`);
    if (c.risk) out.push(`      Risk: ${c.risk}`);
  }
  for (const r of plan.risks) out.push(`Risk: ${r}`);
  if (plan.alternative.recommended) out.push(`Suggestion: ${plan.alternative.reason}`);
  return out;
}

/**
 * The command that applies a diagnosis's fix (null: CredHop cannot): the step of the machine it
 * changes, and the confirmation a fix that weakens authentication needs. Pure.
 */
export function fixCommand(d: Diagnosis): string | null {
  if (!d.fixable) return null;
  const c = d.fixChange;
  const ntlm = c?.kind === 'trusted-hosts' || (c?.kind === 'add-delegation' && c.list === 'freshNtlm');
  const step = !c || c.kind === 'trusted-hosts' ? '' : c.host === 'server' ? ' --step server' : ' --step client';
  return `credhop apply ...${step}${ntlm ? ' --confirm-ntlm-only' : ''}`;
}

export function diagnosisLines(d: Diagnosis): string[] {
  const command = fixCommand(d);
  return [
    `Cause: ${d.cause}`,
    `  ${d.explanation}`,
    `Fix: ${d.fix}`,
    ...(d.warning ? [`Warning: ${d.warning}`] : []),
    ...(command ? [`CredHop can apply this fix: run "${command}" with the same --jump, --target and --account (or --profile).`] : []),
  ];
}

export function testLines(t: TestResult): string[] {
  if (t.ok) return ['The hop works. Output from the target:', ...t.output.map((o) => `  ${typeof o === 'string' ? o : JSON.stringify(o)}`)];
  return ['The hop failed.', ...(t.diagnosis ? diagnosisLines(t.diagnosis) : t.errors.map((e) => `  ${e.message}`))];
}

export function restoreLines(r: RestoreReport): string[] {
  if (r.sessions.length === 0) return ['Nothing to restore: the journal holds no unrestored change.'];
  const out: string[] = [];
  for (const s of r.sessions) {
    if (s.safetyNet) {
      out.push(`${s.profileName}: restored by the scheduled safety net at ${localTime(s.safetyNet.restoredAt)}${s.differences.length === 0 ? ', back exactly as it was' : ''}`);
      for (const op of s.operations) out.push(`  - ${op}`);
      for (const n of s.safetyNet.notes) out.push(`  ! ${n}`);
      for (const d of s.differences) out.push(`  ! ${d}`);
      continue;
    }
    out.push(`${s.profileName}: ${s.complete ? 'back exactly as it was' : 'restored WITH DIFFERENCES'}`);
    for (const op of s.operations) out.push(`  - ${op}`);
    for (const d of s.differences) out.push(`  ! ${d}`);
  }
  out.push(r.clean ? 'Everything is back as it was.' : 'Some settings differ from the snapshot; see above.');
  return out;
}

/** A time as the operator reads it: this computer's local time, with its date. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** What `credhop apply` says will restore the changes, and when. */
export function safetyNetLine(armed: { host: string; at: string }[], timeboxMinutes: number): string {
  if (armed.length === 0) return `CredSSP stays on for ${timeboxMinutes} minutes at most; run "credhop restore" when you are done.`;
  const where = armed.map((a) => a.host).join(' and on ');
  return `A scheduled task on ${where} restores this at ${localTime(armed[0]!.at)} even if CredHop is closed; run "credhop restore" when you are done.`;
}

export function sessionLines(open: OpenSession[]): string[] {
  if (open.length === 0) return ['No unrestored change in the journal.'];
  return open.map((s) => `Unrestored: ${s.begin.profileName} (${s.begin.jumpServer}), ${s.intents.length} change(s) since ${s.begin.at}, expires ${s.begin.expiresAt}`);
}
