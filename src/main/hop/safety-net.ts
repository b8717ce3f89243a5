// The scheduled restore (the safety net that does not need CredHop running), as pure decisions: what
// the task on each machine puts back, computed at apply time from the same restore rules CredHop's own
// restore uses (restore.ts) on the state CredHop left, each step carrying what CredHop left ('expect')
// so the task leaves alone a value someone changed since; and how an outcome the task wrote is read.
import { z } from 'zod';
import type { Change, DelegationListName, HostState, ServerState } from '../../shared/domain/hop';
import type { BeginRecord, OpenSession } from './journal';
import { clientRestoreOps, serverRestoreOp, trustedHostsIntents, type RestoreOp } from './restore';

export const TASK_NAME_PREFIX = 'CredHop restore ';

/**
 * The tasks start this long after the time box ends. CredHop, when it runs, restores at the expiry
 * itself and removes the tasks first, so the two never act at one moment; a task acts only when CredHop
 * did not (closed, crashed, or the machine was off or asleep). A task that is already running when
 * CredHop restores (a missed task started at boot) finishes first, and CredHop reports its outcome.
 */
export const TASK_GRACE_MINUTES = 10;

/** When a session's tasks start: its expiry plus the grace period. Pure. */
export function taskStartAt(expiresAt: string): string {
  return new Date(new Date(expiresAt).getTime() + TASK_GRACE_MINUTES * 60_000).toISOString();
}

/** One step of a task's plan: a restore operation, plus what CredHop left where the task must compare. */
export interface StepCompare {
  expect?: unknown;
  known?: string[];
}
export type TaskStep = RestoreOp & StepCompare;

export interface TaskPlan {
  version: 1;
  session: string;
  machine: 'client' | 'server';
  computerName: string;
  expiresAt: string;
  steps: TaskStep[];
}

/**
 * What CredHop left, per operation kind, for the task's compare-and-set. A kind with no entry here
 * travels as it is, and a task that does not know it reports it and restores the rest (adding a kind:
 * one line here and one handler in the module's RestorePlan.ps1).
 */
const EXPECT: { [K in RestoreOp['kind']]?: (op: Extract<RestoreOp, { kind: K }>, after: HostState, begin: BeginRecord, intents: readonly Change[]) => StepCompare } = {
  'remove-delegation': (op, _after, begin, intents) => ({ known: knownValues(op.list, begin, intents) }),
  'set-delegation-flags': (op, after, begin, intents) => {
    const now = after.delegation[op.list][op.store === 'local' ? 'local' : 'effective'];
    // known: a list still holding other values is not switched off under them
    return { expect: { allow: now.allow, concatenate: now.concatenate }, known: knownValues(op.list, begin, intents) };
  },
  'client-credssp': (_op, after) => ({ expect: after.winrm.clientCredSSP }),
  'winrm-service': (_op, after) => ({ expect: after.winrmService ?? null }),
  // The op carries the list CredHop left ('expect'); 'known' names CredHop's own entries, the only ones
  // the task takes out of a list someone changed since.
  'trusted-hosts': (_op, _after, _begin, intents) => ({ known: trustedHostsIntents(intents) }),
};

/** Values of a list that are not someone else's: there before CredHop, or CredHop's own (lower case). */
function knownValues(list: DelegationListName, begin: BeginRecord, intents: readonly Change[]): string[] {
  const before = begin.snapshot.client.delegation[list];
  const ours = intents.filter((c): c is Extract<Change, { kind: 'add-delegation' }> => c.kind === 'add-delegation' && c.list === list).map((c) => c.spn);
  return [...new Set([...before.local.entries, ...before.effective.entries].map((e) => e.value).concat(ours).map((v) => v.toLowerCase()))];
}

function withExpect(op: RestoreOp, after: HostState, begin: BeginRecord, intents: readonly Change[]): TaskStep {
  const f = EXPECT[op.kind] as ((o: RestoreOp, a: HostState, b: BeginRecord, i: readonly Change[]) => StepCompare) | undefined;
  const extra: StepCompare = f ? f(op, after, begin, intents) : {};
  return Object.assign({}, op, extra);
}

/** The client's task: CredHop's own restore of the client, as it would run on the state read after the step. */
export function clientTaskPlan(begin: BeginRecord, intents: readonly Change[], after: HostState): TaskPlan {
  const ops = clientRestoreOps(begin.snapshot, intents, after);
  return { version: 1, session: begin.session, machine: 'client', computerName: begin.snapshot.client.computerName, expiresAt: begin.expiresAt, steps: ops.map((op) => withExpect(op, after, begin, intents)) };
}

/** The jump server's task: its service flag back to the snapshot, if CredHop changed it. */
export function serverTaskPlan(begin: BeginRecord, intents: readonly Change[], serverAfter: ServerState): TaskPlan | null {
  const op = serverRestoreOp(begin.snapshot, intents, serverAfter);
  if (!op) return null;
  return { version: 1, session: begin.session, machine: 'server', computerName: begin.jumpServer, expiresAt: begin.expiresAt, steps: [{ ...op, expect: serverAfter.serviceCredSSP }] };
}

export const taskOutcome = z.object({
  version: z.literal(1),
  session: z.string(),
  machine: z.enum(['client', 'server']),
  ranAt: z.string(),
  result: z
    .object({
      computerName: z.string(),
      restored: z.array(z.string()),
      unchanged: z.array(z.string()),
      leftAlone: z.array(z.string()),
      notKnown: z.array(z.string()),
      failed: z.array(z.string()),
      complete: z.boolean(),
    })
    .nullable(),
  error: z.string().nullable(),
});
export type TaskOutcome = z.infer<typeof taskOutcome>;

export const restoreTasksView = z.object({
  computerName: z.string(),
  tasks: z.array(z.object({ session: z.string(), state: z.string(), at: z.string() })),
  outcomes: z.array(z.object({ session: z.string(), json: z.string() })),
});
export type RestoreTasksView = z.infer<typeof restoreTasksView>;

export const armResult = z.object({ computerName: z.string(), taskName: z.string(), at: z.string() });

/** The outcome a task wrote for a session, or null (none yet, or unreadable: CredHop then restores itself). */
export function outcomeFor(view: RestoreTasksView, session: string): TaskOutcome | null {
  return parseOutcome(view.outcomes.find((o) => o.session === session)?.json, session);
}

/** An outcome record's text, read for a session (null: none, unreadable, or another session's). Pure. */
export function parseOutcome(json: string | null | undefined, session: string): TaskOutcome | null {
  if (!json) return null;
  try {
    const parsed = taskOutcome.safeParse(JSON.parse(json));
    return parsed.success && parsed.data.session === session ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What a task put back, one line per value, named by machine (the report's operations). Pure. */
export function outcomeOperations(o: TaskOutcome): string[] {
  return (o.result?.restored ?? []).map((t) => `${o.result?.computerName ?? o.machine}: ${t}`);
}

/** Whether the task did all of CredHop's part (what it left alone is someone else's, and reported). */
export function outcomeDone(o: TaskOutcome): boolean {
  return o.error === null && o.result !== null && o.result.failed.length === 0 && o.result.notKnown.length === 0;
}

/** The notes worth showing: what the task left alone, did not know, or could not do. */
export function outcomeNotes(o: TaskOutcome): string[] {
  const where = o.result?.computerName ?? o.machine;
  if (o.error !== null) return [`${where}: the scheduled restore failed: ${o.error}`];
  const r = o.result!;
  return [...r.leftAlone, ...r.notKnown, ...r.failed].map((t) => `${where}: ${t}`);
}

/** Sessions of CredHop tasks found on a machine that no open session of the journal owns. */
export function leftoverTasks(view: RestoreTasksView, openSessions: readonly string[]): string[] {
  const ids = new Set([...view.tasks.map((t) => t.session), ...view.outcomes.map((o) => o.session)]);
  return [...ids].filter((id) => !openSessions.includes(id));
}

/**
 * Whether every machine an open session changed has its scheduled restore armed (the journal holds a
 * `restore-task` intent for it with a good outcome). The close guard only promises "the scheduled
 * restore is armed" when this holds for every open session.
 */
export function safetyNetArmed(open: readonly Pick<OpenSession, 'intents' | 'outcomes'>[]): boolean {
  return open.every((s) => {
    const changed = new Set(s.intents.filter((i) => i.change.kind !== 'restore-task').map((i) => i.change.host));
    const armed = new Set(s.intents.filter((i) => i.change.kind === 'restore-task' && s.outcomes.get(i.changeId) === true).map((i) => i.change.host));
    return [...changed].every((h) => armed.has(h));
  });
}
