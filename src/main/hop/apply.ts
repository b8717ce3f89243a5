// Apply: one step (this computer's changes, or the jump server's) of a plan, each effect journaled
// before it happens and audited after, the state read back to verify it, and the step's scheduled
// restore armed. Also the session's start and the TrustedHosts fix (a one-change apply of its own).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Change, HostState, Plan, PlannedChange, ServerState, Snapshot } from '../../shared/domain/hop';
import { winrmServiceState } from '../../shared/domain/hop';
import { AppError } from '../errors';
import { PrimitiveError } from '../powershell/engine';
import { diagnose } from './diagnose';
import { batchResult, type Credential, type HopContext, type HopTarget, type Progress, type RunControl } from './engine-context';
import type { BeginRecord } from './journal';
import { listAllows } from './match';
import { buildTrustPlan } from './plan';
import { armSafetyNet, type ArmedSafetyNet } from './safety-net-arm';
import { trustedHostsHas } from './trusted-hosts';

export const DEFAULT_TIMEBOX_MINUTES = 60;
export const MAX_TIMEBOX_MINUTES = 480;

const addResult = z.object({ added: z.boolean(), valueName: z.string().nullable().optional() });
const flagResult = z.object({ before: z.boolean().nullable(), after: z.boolean().nullable() });
const trustedHostsResult = z.object({ changed: z.boolean(), before: z.string(), after: z.string() });
const serviceResult = z.object({ before: winrmServiceState.nullable(), after: winrmServiceState.nullable() });

export interface ApplyResult {
  session: string;
  /** The scheduled restore armed on the step's machine (null: the step changed nothing to restore). */
  safetyNet: ArmedSafetyNet;
  applied: { change: Change; ok: boolean }[];
  verified: boolean;
  client: HostState;
  server: ServerState | null;
}

function describeChange(c: Change): { action: string; from: string; to: string } {
  switch (c.kind) {
    case 'add-delegation':
      return { action: `add ${c.spn} to ${c.list === 'fresh' ? 'AllowFreshCredentials' : 'AllowFreshCredentialsWhenNTLMOnly'}`, from: 'absent', to: c.spn };
    case 'client-credssp':
      return { action: 'WinRM client CredSSP', from: String(!c.enabled), to: String(c.enabled) };
    case 'winrm-service':
      return { action: 'WinRM service (this computer)', from: 'Stopped', to: 'Running' };
    case 'server-credssp':
      return { action: 'WinRM service CredSSP', from: String(!c.enabled), to: String(c.enabled) };
    case 'trusted-hosts':
      return { action: `add ${c.entry} to TrustedHosts`, from: 'absent', to: c.entry };
    case 'restore-task':
      return { action: 'scheduled restore (Task Scheduler)', from: 'none', to: 'armed' };
  }
}

/** The primitive and payload of one of this computer's changes (the jump server's goes over InvokeRemote). */
function effectCall(change: Change): { primitive: string; payload: Record<string, unknown> } {
  switch (change.kind) {
    case 'add-delegation':
      return { primitive: 'AddDelegation', payload: { list: change.list, spn: change.spn } };
    case 'client-credssp':
      return { primitive: 'SetWinRMFlag', payload: { role: 'client', enabled: change.enabled } };
    case 'winrm-service':
      return { primitive: 'SetWinRMService', payload: { running: true } };
    case 'trusted-hosts':
      return { primitive: 'SetTrustedHosts', payload: { add: change.entry } };
    case 'server-credssp':
      throw new AppError('refused', 'The jump server\'s flag is not set on this computer.', 'Apply the server step.');
    case 'restore-task':
      throw new AppError('refused', 'A scheduled restore is not a planned change.', 'Apply the client or server step; CredHop schedules the restore itself.');
  }
}

/** What the journal and the audit log say an effect found (its primitive's answer). */
function effectDetail(change: Change, result: unknown): string | undefined {
  if (change.kind === 'add-delegation') {
    const r = addResult.safeParse(result);
    return r.success ? (r.data.added ? `value ${r.data.valueName ?? '?'}` : 'already present') : undefined;
  }
  if (change.kind === 'winrm-service') {
    const r = serviceResult.safeParse(result);
    return r.success ? `was ${r.data.before?.status ?? '?'} (${r.data.before?.startType ?? '?'})` : undefined;
  }
  if (change.kind === 'trusted-hosts') {
    const r = trustedHostsResult.safeParse(result);
    return r.success ? (r.data.changed ? `was "${r.data.before}"` : 'already present') : undefined;
  }
  return undefined;
}


/** Starts a journal session for a flow (once, before its first effect). */
export function beginSession(ctx: HopContext, t: HopTarget, snapshot: Snapshot, timeboxMinutes = DEFAULT_TIMEBOX_MINUTES): string {
  const minutes = Math.min(Math.max(Math.round(timeboxMinutes), 1), MAX_TIMEBOX_MINUTES);
  const session = randomUUID();
  const at = ctx.now();
  ctx.deps.journal.append({
    type: 'begin',
    session,
    at: at.toISOString(),
    profileId: t.profileId,
    profileName: t.profileName,
    account: t.account,
    jumpServer: t.jumpServer,
    target: t.target,
    expiresAt: new Date(at.getTime() + minutes * 60_000).toISOString(),
    practice: ctx.deps.practice,
    ...(ctx.deps.practice && ctx.deps.practiceLab ? { lab: resolve(ctx.deps.practiceLab) } : {}),
    snapshot,
  });
  return session;
}

/**
 * The fix for the check's 'trusted-hosts' diagnosis: in its own journal session, start WinRM if it
 * is stopped and add exactly the jump server to TrustedHosts. The session's snapshot holds this
 * computer as the check read it and the jump server as not read (flag null): this session never
 * touches the server, and restore puts TrustedHosts and the service back like any other change.
 */
export async function trustJumpServer(ctx: HopContext, t: HopTarget, client: HostState, timeboxMinutes = DEFAULT_TIMEBOX_MINUTES, control: RunControl = {}): Promise<ApplyResult> {
  const snapshot: Snapshot = { takenAt: ctx.now().toISOString(), jumpServer: t.jumpServer, client, server: { computerName: t.jumpServer, userName: '', serviceCredSSP: null, servicePolicyAllowCredSSP: null } };
  const plan = buildTrustPlan(snapshot, t.jumpServer, t.target);
  if (plan.blockers.length > 0) throw new AppError('refused', plan.blockers[0]!.message, plan.blockers[0]!.resolution);
  const session = beginSession(ctx, t, snapshot, timeboxMinutes);
  return ctx.controlled(control, (progress) => applyStep(ctx, 'client', t, plan, session, null, progress));
}

export async function applyStep(ctx: HopContext, step: 'client' | 'server', t: HopTarget, plan: Plan, session: string, credential: Credential | null, progress: Progress): Promise<ApplyResult> {
  if (plan.blockers.length > 0) {
    throw new AppError('refused', plan.blockers[0]!.message, plan.blockers[0]!.resolution);
  }
  const begin = ctx.sessionBegin(session);
  return ctx.deps.journal.withLock(async () => {
    const changes = plan.changes.filter((c) => c.step === step);
    // A clean-up that ran while this step waited for the lock may have closed and compacted the session.
    if (changes.length > 0) ctx.deps.journal.ensureBegun(begin);
    const applied: ApplyResult['applied'] = [];
    let serverFlag: boolean | null | undefined;
    let readBack: HostState | null = null;
    if (step === 'client' && changes.length > 0) {
      // This computer's changes and the read that verifies them: one PowerShell call.
      // One line that names every change being made (the operator, and the command line's log, see what runs).
      progress(changes.length === 1 ? changes[0]!.title : `Applying ${changes.length} changes to this computer: ${changes.map((c) => c.title).join('; ')}`, 0.1);
      readBack = await effects(ctx, changes, begin);
      for (const planned of changes) applied.push({ change: planned.change, ok: true });
    } else {
      for (const [index, planned] of changes.entries()) {
        progress(planned.title, index / Math.max(changes.length, 1));
        const outcome = await effect(ctx, planned, begin, credential);
        if (outcome.serverAfter !== undefined) serverFlag = outcome.serverAfter;
        applied.push({ change: planned.change, ok: outcome.ok });
      }
    }
    progress('Reading the state back to verify', 0.9);
    // The server step changes nothing here: this computer as read after its own step is still the
    // answer (read again only when this process has not read it, e.g. after a restart between steps).
    const known = step === 'server' ? ctx.clientAfterStep.get(session) : (readBack ?? undefined);
    const client = known ?? (await ctx.readClient());
    ctx.clientAfterStep.set(session, client);
    // The server's flag was read back inside the same remote call that set it (one connection, not two).
    const server = step === 'server' ? { ...begin.snapshot.server, ...(serverFlag !== undefined ? { serviceCredSSP: serverFlag } : {}) } : null;
    const verified = changes.every((c) => isInPlace(c.change, client, server));
    // The safety net: a task on this step's machine restores it at the expiry even if CredHop is gone.
    let safetyNet: ApplyResult['safetyNet'] = null;
    if (changes.length > 0) {
      progress('Scheduling the restore at the end of the time box', 0.95);
      safetyNet = await armSafetyNet(ctx, step, begin, credential, client, server);
    }
    progress(verified ? 'Done and verified' : 'Done, but the state read back differs', 1);
    return { session, applied, verified, client, server, safetyNet };
  });
}

function isInPlace(c: Change, client: HostState, server: ServerState | null): boolean {
  switch (c.kind) {
    case 'add-delegation':
      return listAllows(client.delegation[c.list].effective, c.spn) && listAllows(client.delegation[c.list].local, c.spn);
    case 'client-credssp':
      return client.winrm.clientCredSSP === c.enabled;
    case 'winrm-service':
      return client.winrmService?.status === 'Running';
    case 'server-credssp':
      return server?.serviceCredSSP === c.enabled;
    case 'trusted-hosts':
      return trustedHostsHas(client.trustedHosts?.value ?? '', c.entry);
    case 'restore-task':
      return true; // not a planned change: armed after the step, and checked by its own call
  }
}

async function effect(ctx: HopContext, planned: PlannedChange, begin: BeginRecord, credential: Credential | null): Promise<{ ok: true; serverAfter?: boolean | null }> {
  const { change } = planned;
  const changeId = `${planned.id}-${randomUUID().slice(0, 8)}`;
  ctx.deps.journal.append({ type: 'intent', session: begin.session, changeId, at: ctx.now().toISOString(), change });
  const who = begin.snapshot.client.userName;
  const described = describeChange(change);
  const host = change.host === 'client' ? begin.snapshot.client.computerName : begin.jumpServer;
  try {
    let detail: string | undefined;
    let serverAfter: boolean | null | undefined;
    if (change.kind === 'server-credssp') {
      const r = await ctx.remote(begin.jumpServer, 'SetServiceFlag', { enabled: change.enabled }, credential);
      if (r.errors.length > 0) {
        const d = diagnose(r.errors[0]!, { jumpServer: begin.jumpServer, target: begin.target, stage: 'jump' });
        throw new AppError('powershell-failed', `${d.cause}. ${d.explanation}`, d.fix);
      }
      const flags = flagResult.safeParse(r.output[0]);
      serverAfter = flags.success ? flags.data.after : null;
    } else {
      const { primitive, payload } = effectCall(change);
      detail = effectDetail(change, await ctx.call(primitive, payload, z.unknown()));
    }
    ctx.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: ctx.now().toISOString(), ok: true, ...(detail ? { detail } : {}) });
    ctx.deps.audit.write({ at: ctx.now().toISOString(), who, profile: begin.profileName, host, ...described, outcome: 'ok', session: begin.session, ...(detail ? { detail } : {}) });
    return serverAfter === undefined ? { ok: true } : { ok: true, serverAfter };
  } catch (caught) {
    // A failure on this computer is put in plain words (e.g. the misleading "cannot connect to the
    // destination" of a stopped local WinRM service); the original stays in the journal's detail.
    const error = change.host === 'client' ? localFailure(caught, begin) : caught;
    const message = error instanceof AppError ? error.message : 'PowerShell failed';
    ctx.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: ctx.now().toISOString(), ok: false, detail: message.slice(0, 300) });
    ctx.deps.audit.write({ at: ctx.now().toISOString(), who, profile: begin.profileName, host, ...described, outcome: 'failed', session: begin.session, detail: message });
    throw error;
  }
}

/**
 * This computer's changes of a step in one call: every intent on disk first (one flush), then the
 * effects in order with the state read back after them, then every outcome (one flush). The first
 * effect that fails stops the rest: its outcome says why, those after it say they were not tried.
 * Returns the state read back (null if even that read failed).
 */
async function effects(ctx: HopContext, changes: readonly PlannedChange[], begin: BeginRecord): Promise<HostState | null> {
  const who = begin.snapshot.client.userName;
  const host = begin.snapshot.client.computerName;
  const ids = changes.map((planned) => `${planned.id}-${randomUUID().slice(0, 8)}`);
  const at = () => ctx.now().toISOString();
  ctx.deps.journal.appendAll(changes.map((planned, i) => ({ type: 'intent' as const, session: begin.session, changeId: ids[i]!, at: at(), change: planned.change })));
  const record = (i: number, ok: boolean, detail: string | undefined) => {
    ctx.deps.audit.write({ at: at(), who, profile: begin.profileName, host, ...describeChange(changes[i]!.change), outcome: ok ? 'ok' : 'failed', session: begin.session, ...(detail ? { detail } : {}) });
    return { type: 'outcome' as const, session: begin.session, changeId: ids[i]!, at: at(), ok, ...(detail ? { detail: ok ? detail : detail.slice(0, 300) } : {}) };
  };
  let answer: z.output<typeof batchResult>;
  try {
    answer = await ctx.call('Batch', { steps: changes.map((c) => effectCall(c.change)), readBack: true }, batchResult);
  } catch (caught) {
    // PowerShell died, timed out or was cancelled mid-call: what took effect is unknown here, and the
    // restore (which compares the machine with the snapshot) does not need to know.
    const message = caught instanceof AppError ? caught.message : 'PowerShell failed';
    ctx.deps.journal.appendAll(changes.map((_, i) => record(i, false, message)));
    throw caught;
  }
  const outcomes = changes.slice(0, answer.done).map((planned, i) => record(i, true, effectDetail(planned.change, answer.results[i])));
  if (answer.error) {
    const failed = changes[answer.done]!;
    const error = localFailure(new PrimitiveError(effectCall(failed.change).primitive, answer.error), begin);
    const message = error instanceof AppError ? error.message : 'PowerShell failed';
    outcomes.push(record(answer.done, false, message));
    for (let i = answer.done + 1; i < changes.length; i += 1) outcomes.push(record(i, false, 'not tried: an earlier change failed'));
    ctx.deps.journal.appendAll(outcomes);
    throw error;
  }
  ctx.deps.journal.appendAll(outcomes);
  return answer.after;
}

/**
 * A failure on this computer in plain words (e.g. the misleading "cannot connect to the destination"
 * of a stopped local WinRM service); the original stays in the journal's detail.
 */
function localFailure(caught: unknown, begin: BeginRecord): unknown {
  if (caught instanceof PrimitiveError && caught.record.kind !== 'invalid-payload' && caught.record.kind !== 'secret-channel') {
    const d = diagnose(caught.record, { jumpServer: begin.jumpServer, target: begin.target, stage: 'local' });
    if (d.id !== 'unknown') return new AppError('powershell-failed', `${d.cause}. ${d.explanation}`, d.fix);
  }
  return caught;
}
