// The safety net's effects: arming a session's scheduled restore on a machine (a journaled effect like
// any other), disarming it, and removing tasks earlier sessions left. Decisions live in safety-net.ts.
import { randomUUID } from 'node:crypto';
import type { Change, HostState, ServerState } from '../../shared/domain/hop';
import { AppError } from '../errors';
import { disarmResult, type Credential, type HopContext } from './engine-context';
import type { BeginRecord } from './journal';
import { armResult, clientTaskPlan, leftoverTasks, restoreTasksView, serverTaskPlan, taskStartAt, type RestoreTasksView } from './safety-net';

/** Where a session's scheduled restore was armed, and for when (null: the step changed nothing to restore). */
export type ArmedSafetyNet = { host: string; at: string } | null;

/** The scheduled restores a clean-up last saw on each machine (so it does not read them again). */
export interface TaskViews {
  local: RestoreTasksView | null;
  remote: Map<string, RestoreTasksView>;
}

/** Registers (or replaces) the scheduled restore on the step's machine: a journaled effect like any other. */
export async function armSafetyNet(ctx: HopContext, step: 'client' | 'server', begin: BeginRecord, credential: Credential | null, client: HostState, server: ServerState | null): Promise<ArmedSafetyNet> {
  const intents = ctx.sessionIntents(begin.session);
  const plan = step === 'client' ? clientTaskPlan(begin, intents, client) : server ? serverTaskPlan(begin, intents, server) : null;
  if (!plan || plan.steps.length === 0) return null;
  const change: Change = { kind: 'restore-task', host: step };
  const changeId = `restore-task-${step}-${randomUUID().slice(0, 8)}`;
  const host = step === 'client' ? begin.snapshot.client.computerName : begin.jumpServer;
  const who = begin.snapshot.client.userName;
  // The task's trigger: the expiry plus a grace period (CredHop's own time box acts first, see taskStartAt).
  const payload = { session: begin.session, expiresAt: taskStartAt(begin.expiresAt), plan };
  ctx.deps.journal.append({ type: 'intent', session: begin.session, changeId, at: ctx.now().toISOString(), change });
  try {
    let at: string;
    if (step === 'client') {
      at = (await ctx.call('ArmRestoreTask', payload, armResult)).at;
    } else {
      const r = await ctx.remote(begin.jumpServer, 'ArmRestoreTask', payload, credential);
      const armed = armResult.safeParse(r.output[0]);
      if (r.errors.length > 0 || !armed.success) {
        throw new AppError('powershell-failed', `The restore could not be scheduled on ${begin.jumpServer}: ${r.errors[0]?.message ?? 'no answer'}`, 'Restore now (Clean up), or keep CredHop open until the time box ends.');
      }
      at = armed.data.at;
    }
    ctx.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: ctx.now().toISOString(), ok: true, detail: `at ${at}` });
    ctx.deps.audit.write({ at: ctx.now().toISOString(), who, profile: begin.profileName, host, action: 'scheduled restore (Task Scheduler)', from: 'none', to: `armed for ${at}`, outcome: 'ok', session: begin.session });
    return { host, at };
  } catch (caught) {
    const message = caught instanceof AppError ? caught.message : 'PowerShell failed';
    ctx.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: ctx.now().toISOString(), ok: false, detail: message.slice(0, 300) });
    ctx.deps.audit.write({ at: ctx.now().toISOString(), who, profile: begin.profileName, host, action: 'scheduled restore (Task Scheduler)', from: 'none', to: 'armed', outcome: 'failed', session: begin.session, detail: message });
    throw caught;
  }
}

/** Removes the session's scheduled tasks (and their files and outcome records). Returns what could not be removed. */
export async function disarmSafetyNet(ctx: HopContext, begin: BeginRecord, intents: readonly Change[], credential: Credential | null, operations: string[]): Promise<string[]> {
  const hosts = new Set(intents.filter((c) => c.kind === 'restore-task').map((c) => c.host));
  const out: string[] = [];
  for (const h of ['client', 'server'] as const) {
    if (!hosts.has(h)) continue;
    const name = h === 'client' ? begin.snapshot.client.computerName : begin.jumpServer;
    let ok = true;
    let removed = false;
    try {
      if (h === 'client') {
        removed = (await ctx.call('DisarmRestoreTask', { session: begin.session }, disarmResult)).taskRemoved;
      } else {
        const r = await ctx.remote(begin.jumpServer, 'DisarmRestoreTask', { session: begin.session }, credential);
        const d = disarmResult.safeParse(r.output[0]);
        ok = r.errors.length === 0 && d.success;
        removed = d.success && d.data.taskRemoved;
      }
    } catch (error) {
      if (h === 'client') throw error;
      ok = false;
    }
    noteDisarm(ctx, begin, name, ok, removed, operations, out);
  }
  return out;
}

/** Reports (and audits) the removal of a session's scheduled restore on one machine. */
export function noteDisarm(ctx: HopContext, begin: BeginRecord, machine: string, ok: boolean, removed: boolean, operations: string[], differences: string[]): void {
  if (!ok) differences.push(`The scheduled restore on ${machine} could not be removed (it would only put back what is already back).`);
  else if (removed) operations.push(`Removed the scheduled restore on ${machine}`);
  ctx.deps.audit.write({ at: ctx.now().toISOString(), who: begin.snapshot.client.userName, profile: begin.profileName, host: machine, action: 'restore: scheduled restore removed', from: 'armed', to: 'none', outcome: ok ? 'ok' : 'failed', session: begin.session });
}

/** Removes the leftover tasks on this computer and on the given jump servers (after a restore). */
export async function removeLeftoverTasks(ctx: HopContext, jumpServers: Map<string, Credential | null>, operations: string[], views: TaskViews): Promise<void> {
  const open = ctx.openSessions().map((s) => s.begin.session);
  // What the restore just read (its last calls to each machine answered the tasks there), else a read.
  const local = views.local ?? (await ctx.call('ReadRestoreTasks', {}, restoreTasksView).catch(() => null));
  for (const id of local ? leftoverTasks(local, open) : []) {
    await ctx.call('DisarmRestoreTask', { session: id }, disarmResult).then(() => operations.push(`Removed a scheduled restore left on ${local!.computerName} by an earlier session (${id})`), () => undefined);
  }
  for (const [jump, credential] of jumpServers) {
    let view = views.remote.get(jump) ?? null;
    if (!view) {
      const r = await ctx.remote(jump, 'ReadRestoreTasks', {}, credential).catch(() => null);
      const parsed = r && r.errors.length === 0 ? restoreTasksView.safeParse(r.output[0]) : null;
      view = parsed?.success ? parsed.data : null;
    }
    for (const id of view ? leftoverTasks(view, open) : []) {
      const d = await ctx.remote(jump, 'DisarmRestoreTask', { session: id }, credential).catch(() => null);
      if (d && d.errors.length === 0) operations.push(`Removed a scheduled restore left on ${jump} by an earlier session (${id})`);
    }
  }
}
