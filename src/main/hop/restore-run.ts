// The restore run: every open session back to its snapshot, newest first, each machine's scheduled
// restore removed before the operations, the state read again and every difference reported.
// Decisions live in restore.ts; this file sequences the effects.
import { z } from 'zod';
import type { HostState, ServerState } from '../../shared/domain/hop';
import { AppError } from '../errors';
import { PrimitiveError, type ModuleError } from '../powershell/engine';
import { batchResult, disarmResult, type Credential, type HopContext, type Progress } from './engine-context';
import type { BeginRecord, OpenSession } from './journal';
import { clientRestoreOps, diffStates, otherLabDifference, otherPracticeLab, serverRestoreOp, trustedHostsNote, type RestoreOp } from './restore';
import { outcomeNotes, outcomeOperations, parseOutcome, restoreTasksView, type RestoreTasksView, type TaskOutcome } from './safety-net';
import { noteDisarm, removeLeftoverTasks, type TaskViews } from './safety-net-arm';

export interface RestoreReport {
  sessions: {
    session: string;
    profileName: string;
    complete: boolean;
    differences: string[];
    operations: string[];
    /** Set when the scheduled tasks restored the machines while CredHop was not running. */
    safetyNet?: { restoredAt: string; notes: string[] } | undefined;
  }[];
  /** True when every session is back to its snapshot. */
  clean: boolean;
}

/** The primitive and payload that carry out one of this computer's restore operations. */
function restoreOpCall(op: RestoreOp): { primitive: string; payload: Record<string, unknown> } {
  switch (op.kind) {
    case 'remove-delegation':
      return { primitive: 'RemoveDelegation', payload: { list: op.list, entries: op.entries } };
    case 'set-delegation-flags':
      return { primitive: 'SetDelegationFlags', payload: { list: op.list, allow: op.allow, concatenate: op.concatenate, removeEmptyListKey: op.removeEmptyListKey, removeEmptyKey: op.removeEmptyKey, store: op.store } };
    case 'client-credssp':
      return { primitive: 'SetWinRMFlag', payload: { role: 'client', enabled: op.enabled } };
    case 'winrm-service':
      return { primitive: 'SetWinRMService', payload: { running: op.running, startType: op.startType } };
    case 'trusted-hosts':
      return { primitive: 'SetTrustedHosts', payload: { value: op.value, expect: op.expect } };
    case 'server-credssp':
      // Never among this computer's operations (restore.ts keeps the jump server's flag apart).
      throw new AppError('refused', 'The jump server\'s flag is not restored on this computer.', 'Run Clean up again.');
  }
}

/** What a restore operation did, in the words the report shows. */
function describeRestoreOp(op: RestoreOp, jumpServer: string): string {
  switch (op.kind) {
    case 'remove-delegation':
      return `Removed ${op.entries.map((e) => `${e.value} (value ${e.name})`).join(', ')} from ${op.list === 'fresh' ? 'AllowFreshCredentials' : 'AllowFreshCredentialsWhenNTLMOnly'}`;
    case 'set-delegation-flags':
      return `Delegation policy values set back${op.store === 'both' ? '' : op.store === 'local' ? ' in the local policy' : ' in the registry'} (allow=${op.allow ?? 'absent'}, concatenate=${op.concatenate ?? 'absent'})`;
    case 'client-credssp':
      return `WinRM client CredSSP set back to ${op.enabled}`;
    case 'winrm-service':
      return op.startType === null ? 'WinRM service started for the restore' : `WinRM service set back to ${op.running ? 'Running' : 'Stopped'} (${op.startType})`;
    case 'server-credssp':
      return `WinRM service CredSSP on ${jumpServer} set back to ${op.enabled}`;
    case 'trusted-hosts':
      return op.note ?? `TrustedHosts set back to "${op.value}"`;
  }
}

/** The RestoreServer script's parts (see the module's ScheduledRestore.ps1). */
const restoreServerDisarm = z.object({ done: z.boolean(), taskRemoved: z.boolean(), outcome: z.string().nullish(), error: z.string().nullable() });
const restoreServerFlag = z.object({ before: z.boolean().nullable(), after: z.boolean().nullable(), error: z.string().nullable() });

export async function restoreAll(ctx: HopContext, credentialFor: (begin: BeginRecord) => Credential | null, reason: string, progress: Progress): Promise<RestoreReport> {
  return ctx.deps.journal.withLock(async () => {
    const open = ctx.openSessions().reverse();
    const report: RestoreReport = { sessions: [], clean: true };
    const jumpServers = new Map<string, Credential | null>();
    const views: TaskViews = { local: null, remote: new Map() };
    for (const [index, s] of open.entries()) {
      // Another practice lab's machines are not these: its session waits, open, for a restore there.
      const lab = otherPracticeLab(s.begin, ctx.deps.practiceLab);
      if (lab !== null) {
        report.sessions.push({ session: s.begin.session, profileName: s.begin.profileName, complete: false, operations: [], differences: [otherLabDifference(lab)] });
        report.clean = false;
        continue;
      }
      progress(`Restoring ${s.begin.profileName} (${s.begin.jumpServer})`, index / Math.max(open.length, 1));
      const entry = await restoreSession(ctx, s, credentialFor(s.begin), reason, views);
      report.sessions.push(entry);
      if (!entry.complete) report.clean = false;
      if (!jumpServers.has(s.begin.jumpServer)) jumpServers.set(s.begin.jumpServer, credentialFor(s.begin));
    }
    // Tasks an earlier session left behind (the check reports them): gone with this clean-up.
    const cleaned: string[] = [];
    await removeLeftoverTasks(ctx, jumpServers, cleaned, views);
    if (cleaned.length > 0) report.sessions.at(-1)?.operations.push(...cleaned);
    // Nothing left to restore here: end the kept management sessions, so no remote shell of CredHop's
    // stays open on a jump server after a clean-up (the next check opens a new one).
    if (ctx.restorableSessions().length === 0) await closeManagementSessions(ctx, );
    if (report.sessions.some((s) => s.complete)) ctx.compactJournal();
    progress(report.clean ? 'Everything is back as it was' : 'Restore finished with differences', 1);
    return report;
  });
}

async function restoreSession(ctx: HopContext, s: OpenSession, credential: Credential | null, reason: string, views: TaskViews): Promise<RestoreReport['sessions'][number]> {
  const { begin } = s;
  ctx.clientAfterStep.delete(begin.session);
  const intents = s.intents.map((i) => i.change);
  const operations: string[] = [];
  const disarmDifferences: string[] = [];
  const now = () => ctx.now().toISOString();
  const who = begin.snapshot.client.userName;
  const armed = new Set(intents.filter((c) => c.kind === 'restore-task').map((c) => c.host));
  // Outcomes of scheduled restores that ran before this one (a machine asleep past the grace period):
  // what they put back is theirs, reported as such; CredHop restores only what is left.
  const ranBefore: TaskOutcome[] = [];
  const taskRan = (json: string | null | undefined) => {
    const o = parseOutcome(json, begin.session);
    if (o) ranBefore.push(o);
  };

  // This computer: its scheduled restore goes first, so it cannot fire in the middle of this restore,
  // and the state the operations are decided on is read in the same call.
  const first = await ctx.call('Batch', { steps: armed.has('client') ? [{ primitive: 'DisarmRestoreTask', payload: { session: begin.session } }] : [], readBack: true }, batchResult);
  if (first.error) throw new PrimitiveError('DisarmRestoreTask', first.error);
  if (armed.has('client')) {
    const d = disarmResult.safeParse(first.results[0]).data;
    noteDisarm(ctx, begin, begin.snapshot.client.computerName, true, d?.taskRemoved ?? false, operations, disarmDifferences);
    taskRan(d?.outcome);
  }
  const client = first.after ?? (await ctx.readClient());
  const ops = clientRestoreOps(begin.snapshot, intents, client);
  // The operations, the read that verifies them and the scheduled restores left here: one call (the
  // jump server's flag cannot change this computer, so reading it before that step reads the end state).
  const batch = await restoreClient(ctx, ops);
  for (const op of ops.slice(0, batch.done)) {
    operations.push(describeRestoreOp(op, begin.jumpServer));
    ctx.deps.audit.write({ at: now(), who, profile: begin.profileName, host: begin.snapshot.client.computerName, action: `restore: ${op.kind}`, from: 'changed', to: 'snapshot', outcome: 'ok', session: begin.session });
  }
  if (batch.error) throw new PrimitiveError(batch.failed!, batch.error);
  if (batch.tasks) views.local = batch.tasks;
  let server: ServerState | null = null;
  if (intents.some((c) => c.kind === 'server-credssp') || armed.has('server')) {
    // The jump server in one call, whatever state a crash left it in: its scheduled restore removed,
    // the flag set back to the snapshot (idempotent) and read, the scheduled restores left there.
    const op = serverRestoreOp(begin.snapshot, intents, null);
    const r = await ctx.remote(begin.jumpServer, 'RestoreServer', { session: armed.has('server') ? begin.session : null, enabled: op ? op.enabled : null }, credential);
    const part = <S extends z.ZodType>(name: string, schema: S): z.output<S> | null => {
      if (r.errors.length > 0) return null;
      const found = schema.safeParse(r.output.find((o) => typeof o === 'object' && o !== null && (o as { part?: unknown }).part === name));
      return found.success ? found.data : null;
    };
    if (armed.has('server')) {
      const d = part('disarm', restoreServerDisarm);
      noteDisarm(ctx, begin, begin.jumpServer, d !== null && d.done, d?.taskRemoved ?? false, operations, disarmDifferences);
      taskRan(d?.outcome);
    }
    const flag = part('flag', restoreServerFlag);
    server = flag && flag.error === null && flag.after !== null ? { ...begin.snapshot.server, serviceCredSSP: flag.after } : null;
    // Said only when this restore changed it (a scheduled restore may have set it back already).
    if (op && flag?.before !== op.enabled) {
      operations.push(`WinRM service CredSSP on ${begin.jumpServer} set back to ${op.enabled}`);
      ctx.deps.audit.write({ at: now(), who, profile: begin.profileName, host: begin.jumpServer, action: 'restore: WinRM service CredSSP', from: flag?.before != null ? String(flag.before) : 'unknown', to: String(op.enabled), outcome: server ? 'ok' : 'failed', session: begin.session });
    }
    const tasks = part('tasks', restoreTasksView);
    if (tasks) views.remote.set(begin.jumpServer, tasks);
  } else {
    server = begin.snapshot.server; // never touched, nothing to verify remotely
  }
  const after = batch.after ?? (await ctx.readClient());
  const note = ops.some((o) => o.kind === 'trusted-hosts' && o.note) ? null : trustedHostsNote(begin.snapshot, intents, after);
  if (note) operations.push(note);
  const differences = [...diffStates(begin.snapshot, after, server, intents), ...disarmDifferences];
  const complete = differences.length === 0;
  ctx.deps.journal.append({ type: 'restored', session: begin.session, at: now(), complete, reason, differences });
  if (ranBefore.length === 0) return { session: begin.session, profileName: begin.profileName, complete, differences, operations };
  const restoredAt = ranBefore.map((o) => o.ranAt).sort().at(-1)!;
  return { session: begin.session, profileName: begin.profileName, complete, differences, operations: [...ranBefore.flatMap(outcomeOperations), ...operations], safetyNet: { restoredAt, notes: ranBefore.flatMap(outcomeNotes) } };
}

/** Housekeeping that never fails a restore: a session left open ends at the jump server's idle time-out. */
async function closeManagementSessions(ctx: HopContext): Promise<void> {
  // No PowerShell running: no session to end (and no reason to start one).
  if (!ctx.deps.ps.shell.isRunning) return;
  try {
    await ctx.call('CloseSessions', {}, z.object({ closed: z.number() }));
  } catch {
    // see above
  }
}

/**
 * Runs this computer's restore operations in order in one PowerShell call (stopping at the first that
 * fails) and reads the state back in the same call. `done` counts the operations that took effect.
 */
async function restoreClient(ctx: HopContext, ops: readonly RestoreOp[]): Promise<{ done: number; error: ModuleError | null; failed: string | null; after: HostState | null; tasks: RestoreTasksView | null }> {
  const steps = ops.map(restoreOpCall);
  const r = await ctx.call('Batch', { steps: [...steps, { primitive: 'ReadRestoreTasks', payload: {} }], readBack: true }, batchResult);
  const done = Math.min(r.done, steps.length);
  const tasks = r.done > steps.length ? restoreTasksView.safeParse(r.results[steps.length]) : null;
  return { done, error: r.error, failed: r.error ? (steps[done]?.primitive ?? 'ReadRestoreTasks') : null, after: r.after, tasks: tasks?.success ? tasks.data : null };
}
