// The hop engine: snapshot, plan, apply, test, restore — each effect journaled before it happens and
// audited after, each step verified by reading the state back. Decisions live in plan.ts, restore.ts
// and diagnose.ts; this file only sequences effects through the PowerShell module.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Change, Diagnosis, ErrorRecordData, HostState, Plan, PlannedChange, ServerState, Snapshot } from '../../shared/domain/hop';
import { errorRecord, hostState, serverState, winrmServiceState } from '../../shared/domain/hop';
import { AppError } from '../errors';
import { PrimitiveError, type ModuleError, type PowerShellEngine } from '../powershell/engine';
import type { AuditLog } from './audit';
import { isIPv4, isLocalAccountOf } from '../../shared/domain/profile-rules';
import { diagnose, trustedHostsDiagnosis } from './diagnose';
import type { BeginRecord, Journal, OpenSession } from './journal';
import { controlledElsewhere, listAllows } from './match';
import { buildPlan, buildTrustPlan, trustedHostsNeed, type PlanInput } from './plan';
import { clientRestoreOps, diffStates, otherLabDifference, otherPracticeLab, serverRestoreOp, trustedHostsNote, type RestoreOp } from './restore';
import { trustedHostsHas } from './trusted-hosts';
import { armResult, clientTaskPlan, leftoverTasks, outcomeDone, outcomeFor, outcomeNotes, restoreTasksView, serverTaskPlan, type RestoreTasksView, type TaskOutcome } from './safety-net';

export interface Credential {
  userName: string;
  password: string;
}

export interface HopTarget {
  profileId: string;
  profileName: string;
  jumpServer: string;
  target: string;
  account: string;
  targetAccount?: string | undefined;
  probe?: string | undefined;
}

export type Progress = (message: string, fraction?: number) => void;

/** What every long operation accepts: progress reports, and a signal that cancels it. */
export interface RunControl {
  progress?: Progress | undefined;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_PROBE = '[pscustomobject]@{ ComputerName = $env:COMPUTERNAME; RanAs = (whoami) }';
export const DEFAULT_TIMEBOX_MINUTES = 60;
export const MAX_TIMEBOX_MINUTES = 480;

/** Scripts that manage the jump server (as opposed to the hop test), run over the kept session. */
const MANAGEMENT_SCRIPTS = new Set(['ReadServerState', 'ReadServerCheck', 'RestoreServer', 'SetServiceFlag', 'ArmRestoreTask', 'DisarmRestoreTask', 'ReadRestoreTasks']);

const remoteResult = z.object({ output: z.array(z.unknown()), errors: z.array(errorRecord) });
const addResult = z.object({ added: z.boolean(), valueName: z.string().nullable().optional() });
const flagResult = z.object({ before: z.boolean().nullable(), after: z.boolean().nullable() });
const trustedHostsResult = z.object({ changed: z.boolean(), before: z.string(), after: z.string() });

export interface TestOptions extends RunControl {
  /** Another account for the target (explicit mode). */
  targetCredential?: Credential | null | undefined;
  /** The jump server's service flag as last read: tells E4 from E7 (both are code 5). */
  serverCredSSP?: boolean | null | undefined;
}

export interface CheckResult {
  snapshot: Snapshot | null;
  plan: Plan | null;
  credSSPView: string[];
  /** Why the check could not complete (e.g. the jump server did not answer). */
  diagnosis?: Diagnosis | undefined;
  /** This computer as read, also when the jump server could not be (the TrustedHosts fix starts from it). */
  client?: HostState | undefined;
  /** Sessions of CredHop scheduled restores found on each machine that no open session owns (Clean up removes them). */
  leftoverTasks?: { client: string[]; server: string[] } | undefined;
}

export interface ApplyResult {
  session: string;
  /** The scheduled restore armed on the step's machine (null: the step changed nothing to restore). */
  safetyNet: { host: string; at: string } | null;
  applied: { change: Change; ok: boolean }[];
  verified: boolean;
  client: HostState;
  server: ServerState | null;
}

export interface TestResult {
  ok: boolean;
  mode: 'credssp' | 'explicit' | 'kerberos';
  output: unknown[];
  errors: ErrorRecordData[];
  diagnosis?: Diagnosis | undefined;
}

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

export interface HopEngineDeps {
  ps: PowerShellEngine;
  journal: Journal;
  audit: AuditLog;
  practice: boolean;
  /** The practice lab file this engine runs on: a session made in another lab is restored only there. */
  practiceLab?: string | undefined;
  now?: () => Date;
  /** Per-call timeout for remote steps (they can take long on real networks). */
  remoteTimeoutMs?: number;
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

const moduleError = z.object({
  kind: z.string(),
  message: z.string(),
  fullyQualifiedErrorId: z.string().nullish(),
  errorCode: z.number().nullish(),
  exceptionType: z.string().nullish(),
  category: z.string().nullish(),
});
/** The Batch primitive's answer (see the module's Batch.ps1). */
const batchResult = z.object({ done: z.number().int().min(0), results: z.array(z.unknown()), error: moduleError.nullable(), after: hostState.nullable() });

/** The GetCheckState primitive's answer: the view and the tasks are extras that may be unreadable (null). */
const checkState = z.object({ state: hostState, credSSPView: z.array(z.string()).nullable(), restoreTasks: z.unknown() });

const disarmResult = z.object({ taskRemoved: z.boolean() }).passthrough();
/** The RestoreServer script's parts (see the module's ScheduledRestore.ps1). */
const restoreServerDisarm = z.object({ done: z.boolean(), taskRemoved: z.boolean(), error: z.string().nullable() });
const restoreServerFlag = z.object({ before: z.boolean().nullable(), after: z.boolean().nullable(), error: z.string().nullable() });
/** The scheduled restores a clean-up last saw on each machine (so it does not read them again). */
interface TaskViews {
  local: RestoreTasksView | null;
  remote: Map<string, RestoreTasksView>;
}
const serviceResult = z.object({ before: winrmServiceState.nullable(), after: winrmServiceState.nullable() });

export class HopEngine {
  private readonly now: () => Date;
  /**
   * The cancel signal of the operation in progress, carried through its async calls, so every
   * PowerShell call of a cancelled check, step, test or restore stops (the running one is killed,
   * later ones never start) without threading the signal through each helper by hand.
   */
  private readonly cancelScope = new AsyncLocalStorage<AbortSignal | undefined>();
  /** This computer as read back after a session's client step (the server step reports it unchanged). */
  private readonly clientAfterStep = new Map<string, HostState>();

  constructor(private readonly deps: HopEngineDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private call<S extends z.ZodType>(primitive: string, payload: unknown, schema: S, timeoutMs?: number, secrets?: readonly string[]): Promise<z.output<S>> {
    const signal = this.cancelScope.getStore();
    return this.deps.ps.call(primitive, payload, schema, { ...(timeoutMs ? { timeoutMs } : {}), ...(signal ? { signal } : {}), ...(secrets && secrets.length > 0 ? { secrets } : {}) });
  }

  private controlled<T>(control: RunControl, work: (progress: Progress) => Promise<T>): Promise<T> {
    const progress = control.progress ?? (() => undefined);
    return this.cancelScope.run(control.signal, () => work(progress));
  }

  /** The audit log this engine writes (for export). */
  get audit(): AuditLog {
    return this.deps.audit;
  }

  async readClient(): Promise<HostState> {
    return this.call('GetHostState', {}, hostState);
  }

  /**
   * One catalogued script on a remote host. Management calls (read, configure, restore the jump server)
   * share one kept session per host and account, so a whole flow opens one management connection plus
   * the CredSSP test's own; never CredSSP itself, which would keep delegated credentials alive there.
   */
  private async remote(computerName: string, script: string, args: Record<string, unknown>, credential: Credential | null, authentication: 'Default' | 'CredSSP' = 'Default', targetCredential?: Credential) {
    const reuseSession = authentication !== 'CredSSP' && MANAGEMENT_SCRIPTS.has(script);
    // Passwords leave the payload here: the payload names each by its index on the secret channel.
    const secrets: string[] = [];
    const ref = (c: Credential) => ({ userName: c.userName, secret: secrets.push(c.password) - 1 });
    const payload = {
      computerName,
      authentication,
      credential: credential ? ref(credential) : null,
      script,
      arguments: targetCredential ? { ...args, targetCredential: ref(targetCredential) } : args,
      ...(reuseSession ? { reuseSession } : {}),
    };
    return this.call('InvokeRemote', payload, remoteResult, this.deps.remoteTimeoutMs ?? 120_000, secrets);
  }

  /** The jump server's state (the first output of ReadServerState, or of ReadServerCheck with its tasks second). */
  async readServer(jumpServer: string, credential: Credential | null, script: 'ReadServerState' | 'ReadServerCheck' = 'ReadServerState'): Promise<{ state: ServerState | null; errors: ErrorRecordData[]; output: unknown[] }> {
    const result = await this.remote(jumpServer, script, {}, credential);
    const parsed = serverState.safeParse(result.output[0]);
    return { state: parsed.success && result.errors.length === 0 ? parsed.data : null, errors: result.errors, output: result.output };
  }

  async check(t: HopTarget, credential: Credential | null, options: Pick<PlanInput, 'wildcard' | 'ntlmOnlyConfirmed'> & RunControl = {}): Promise<CheckResult> {
    return this.controlled(options, (progress) => this.checkNow(t, credential, options, progress));
  }

  private async checkNow(t: HopTarget, credential: Credential | null, options: Pick<PlanInput, 'wildcard' | 'ntlmOnlyConfirmed'>, progress: Progress): Promise<CheckResult> {
    progress('Reading this computer\'s CredSSP settings', 0.1);
    // One call: the state, the Get-WSManCredSSP view and the scheduled restores here.
    const local = await this.call('GetCheckState', {}, checkState);
    const client = local.state;
    const view = { lines: local.credSSPView ?? [] };
    const localTasks = restoreTasksView.safeParse(local.restoreTasks);
    const trustedHostsPolicyOwned = client.trustedHosts?.policyOwned === true;
    // The chicken-and-egg of a jump server given by address: CredHop's own management connection needs
    // the address in TrustedHosts before the check can read the server. Seen here from the client's
    // state, no connection is tried (it could only fail); the diagnosis offers the one entry as a
    // journaled, restorable, warned fix (trustJumpServer), after which the check runs again and reads
    // the server. The alternative — planning everything blind and reading the server mid-apply — would
    // show a plan that is not based on the server's real state.
    // (A local account of the jump server is NTLM too: the same entry, by name.)
    if ((isIPv4(t.jumpServer) || isLocalAccountOf(t.account, t.jumpServer)) && trustedHostsNeed(client, t.jumpServer) !== 'none') {
      return { snapshot: null, plan: null, credSSPView: view.lines, client, diagnosis: trustedHostsDiagnosis({ jumpServer: t.jumpServer, target: t.target, stage: 'jump', trustedHostsPolicyOwned, localAccount: isLocalAccountOf(t.account, t.jumpServer) ? t.account : undefined }) };
    }
    progress(`Reading the CredSSP setting of ${t.jumpServer}`, 0.5);
    // One call to the jump server: its state and the scheduled restores there.
    const server = await this.readServer(t.jumpServer, credential, 'ReadServerCheck');
    const serverTasks = server.errors.length === 0 ? restoreTasksView.safeParse(server.output[1]) : null;
    if (!server.state) {
      const record = server.errors[0] ?? { message: `${t.jumpServer} returned no state.` };
      return {
        snapshot: null,
        plan: null,
        credSSPView: view.lines,
        client,
        diagnosis: diagnose(record, { jumpServer: t.jumpServer, target: t.target, stage: 'jump', clientElevated: client.isElevated, trustedHostsPolicyOwned }),
      };
    }
    const snapshot: Snapshot = { takenAt: this.now().toISOString(), jumpServer: t.jumpServer, client, server: server.state };
    const plan = buildPlan({ snapshot, jumpServer: t.jumpServer, target: t.target, account: t.account, targetAccount: t.targetAccount, wildcard: options.wildcard, ntlmOnlyConfirmed: options.ntlmOnlyConfirmed });
    const open = this.openSessions().map((s) => s.begin.session);
    const leftover = { client: localTasks.success ? leftoverTasks(localTasks.data, open) : [], server: serverTasks?.success ? leftoverTasks(serverTasks.data, open) : [] };
    for (const [h, ids] of [[client.computerName, leftover.client], [t.jumpServer, leftover.server]] as const) {
      for (const id of ids) plan.risks.push(`A scheduled restore CredHop left on ${h} from an earlier session (${id}) is still there. Clean up removes it.`);
    }
    progress('Check complete', 1);
    return { snapshot, plan, credSSPView: view.lines, leftoverTasks: leftover };
  }

  /** Starts a journal session for a flow (once, before its first effect). */
  beginSession(t: HopTarget, snapshot: Snapshot, timeboxMinutes = DEFAULT_TIMEBOX_MINUTES): string {
    const minutes = Math.min(Math.max(Math.round(timeboxMinutes), 1), MAX_TIMEBOX_MINUTES);
    const session = randomUUID();
    const at = this.now();
    this.deps.journal.append({
      type: 'begin',
      session,
      at: at.toISOString(),
      profileId: t.profileId,
      profileName: t.profileName,
      account: t.account,
      jumpServer: t.jumpServer,
      target: t.target,
      expiresAt: new Date(at.getTime() + minutes * 60_000).toISOString(),
      practice: this.deps.practice,
      ...(this.deps.practice && this.deps.practiceLab ? { lab: resolve(this.deps.practiceLab) } : {}),
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
  async trustJumpServer(t: HopTarget, client: HostState, timeboxMinutes = DEFAULT_TIMEBOX_MINUTES, control: RunControl = {}): Promise<ApplyResult> {
    const snapshot: Snapshot = { takenAt: this.now().toISOString(), jumpServer: t.jumpServer, client, server: { computerName: t.jumpServer, userName: '', serviceCredSSP: null, servicePolicyAllowCredSSP: null } };
    const plan = buildTrustPlan(snapshot, t.jumpServer, t.target);
    if (plan.blockers.length > 0) throw new AppError('refused', plan.blockers[0]!.message, plan.blockers[0]!.resolution);
    const session = this.beginSession(t, snapshot, timeboxMinutes);
    return this.apply('client', t, plan, session, null, control);
  }

  /** Applies the client or the server part of the plan, then reads the state back to verify it. */
  async apply(step: 'client' | 'server', t: HopTarget, plan: Plan, session: string, credential: Credential | null, control: RunControl = {}): Promise<ApplyResult> {
    return this.controlled(control, (progress) => this.applyNow(step, t, plan, session, credential, progress));
  }

  private async applyNow(step: 'client' | 'server', t: HopTarget, plan: Plan, session: string, credential: Credential | null, progress: Progress): Promise<ApplyResult> {
    if (plan.blockers.length > 0) {
      throw new AppError('refused', plan.blockers[0]!.message, plan.blockers[0]!.resolution);
    }
    const begin = this.sessionBegin(session);
    return this.deps.journal.withLock(async () => {
      const changes = plan.changes.filter((c) => c.step === step);
      // A clean-up that ran while this step waited for the lock may have closed and compacted the session.
      if (changes.length > 0) this.deps.journal.ensureBegun(begin);
      const applied: ApplyResult['applied'] = [];
      let serverFlag: boolean | null | undefined;
      let readBack: HostState | null = null;
      if (step === 'client' && changes.length > 0) {
        // This computer's changes and the read that verifies them: one PowerShell call.
        // One line that names every change being made (the operator, and the command line's log, see what runs).
        progress(changes.length === 1 ? changes[0]!.title : `Applying ${changes.length} changes to this computer: ${changes.map((c) => c.title).join('; ')}`, 0.1);
        readBack = await this.effects(changes, begin);
        for (const planned of changes) applied.push({ change: planned.change, ok: true });
      } else {
        for (const [index, planned] of changes.entries()) {
          progress(planned.title, index / Math.max(changes.length, 1));
          const outcome = await this.effect(planned, begin, credential);
          if (outcome.serverAfter !== undefined) serverFlag = outcome.serverAfter;
          applied.push({ change: planned.change, ok: outcome.ok });
        }
      }
      progress('Reading the state back to verify', 0.9);
      // The server step changes nothing here: this computer as read after its own step is still the
      // answer (read again only when this process has not read it, e.g. after a restart between steps).
      const known = step === 'server' ? this.clientAfterStep.get(session) : (readBack ?? undefined);
      const client = known ?? (await this.readClient());
      this.clientAfterStep.set(session, client);
      // The server's flag was read back inside the same remote call that set it (one connection, not two).
      const server = step === 'server' ? { ...begin.snapshot.server, ...(serverFlag !== undefined ? { serviceCredSSP: serverFlag } : {}) } : null;
      const verified = changes.every((c) => this.isInPlace(c.change, client, server));
      // The safety net: a task on this step's machine restores it at the expiry even if CredHop is gone.
      let safetyNet: ApplyResult['safetyNet'] = null;
      if (changes.length > 0) {
        progress('Scheduling the restore at the end of the time box', 0.95);
        safetyNet = await this.armSafetyNet(step, begin, credential, client, server);
      }
      progress(verified ? 'Done and verified' : 'Done, but the state read back differs', 1);
      return { session, applied, verified, client, server, safetyNet };
    });
  }

  private isInPlace(c: Change, client: HostState, server: ServerState | null): boolean {
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

  private async effect(planned: PlannedChange, begin: BeginRecord, credential: Credential | null): Promise<{ ok: true; serverAfter?: boolean | null }> {
    const { change } = planned;
    const changeId = `${planned.id}-${randomUUID().slice(0, 8)}`;
    this.deps.journal.append({ type: 'intent', session: begin.session, changeId, at: this.now().toISOString(), change });
    const who = begin.snapshot.client.userName;
    const described = describeChange(change);
    const host = change.host === 'client' ? begin.snapshot.client.computerName : begin.jumpServer;
    try {
      let detail: string | undefined;
      let serverAfter: boolean | null | undefined;
      if (change.kind === 'server-credssp') {
        const r = await this.remote(begin.jumpServer, 'SetServiceFlag', { enabled: change.enabled }, credential);
        if (r.errors.length > 0) {
          const d = diagnose(r.errors[0]!, { jumpServer: begin.jumpServer, target: begin.target, stage: 'jump' });
          throw new AppError('powershell-failed', `${d.cause}. ${d.explanation}`, d.fix);
        }
        const flags = flagResult.safeParse(r.output[0]);
        serverAfter = flags.success ? flags.data.after : null;
      } else {
        const { primitive, payload } = effectCall(change);
        detail = effectDetail(change, await this.call(primitive, payload, z.unknown()));
      }
      this.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: this.now().toISOString(), ok: true, ...(detail ? { detail } : {}) });
      this.deps.audit.write({ at: this.now().toISOString(), who, profile: begin.profileName, host, ...described, outcome: 'ok', session: begin.session, ...(detail ? { detail } : {}) });
      return serverAfter === undefined ? { ok: true } : { ok: true, serverAfter };
    } catch (caught) {
      // A failure on this computer is put in plain words (e.g. the misleading "cannot connect to the
      // destination" of a stopped local WinRM service); the original stays in the journal's detail.
      const error = change.host === 'client' ? this.localFailure(caught, begin) : caught;
      const message = error instanceof AppError ? error.message : 'PowerShell failed';
      this.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: this.now().toISOString(), ok: false, detail: message.slice(0, 300) });
      this.deps.audit.write({ at: this.now().toISOString(), who, profile: begin.profileName, host, ...described, outcome: 'failed', session: begin.session, detail: message });
      throw error;
    }
  }

  /**
   * This computer's changes of a step in one call: every intent on disk first (one flush), then the
   * effects in order with the state read back after them, then every outcome (one flush). The first
   * effect that fails stops the rest: its outcome says why, those after it say they were not tried.
   * Returns the state read back (null if even that read failed).
   */
  private async effects(changes: readonly PlannedChange[], begin: BeginRecord): Promise<HostState | null> {
    const who = begin.snapshot.client.userName;
    const host = begin.snapshot.client.computerName;
    const ids = changes.map((planned) => `${planned.id}-${randomUUID().slice(0, 8)}`);
    const at = () => this.now().toISOString();
    this.deps.journal.appendAll(changes.map((planned, i) => ({ type: 'intent' as const, session: begin.session, changeId: ids[i]!, at: at(), change: planned.change })));
    const record = (i: number, ok: boolean, detail: string | undefined) => {
      this.deps.audit.write({ at: at(), who, profile: begin.profileName, host, ...describeChange(changes[i]!.change), outcome: ok ? 'ok' : 'failed', session: begin.session, ...(detail ? { detail } : {}) });
      return { type: 'outcome' as const, session: begin.session, changeId: ids[i]!, at: at(), ok, ...(detail ? { detail: ok ? detail : detail.slice(0, 300) } : {}) };
    };
    let answer: z.output<typeof batchResult>;
    try {
      answer = await this.call('Batch', { steps: changes.map((c) => effectCall(c.change)), readBack: true }, batchResult);
    } catch (caught) {
      // PowerShell died, timed out or was cancelled mid-call: what took effect is unknown here, and the
      // restore (which compares the machine with the snapshot) does not need to know.
      const message = caught instanceof AppError ? caught.message : 'PowerShell failed';
      this.deps.journal.appendAll(changes.map((_, i) => record(i, false, message)));
      throw caught;
    }
    const outcomes = changes.slice(0, answer.done).map((planned, i) => record(i, true, effectDetail(planned.change, answer.results[i])));
    if (answer.error) {
      const failed = changes[answer.done]!;
      const error = this.localFailure(new PrimitiveError(effectCall(failed.change).primitive, answer.error), begin);
      const message = error instanceof AppError ? error.message : 'PowerShell failed';
      outcomes.push(record(answer.done, false, message));
      for (let i = answer.done + 1; i < changes.length; i += 1) outcomes.push(record(i, false, 'not tried: an earlier change failed'));
      this.deps.journal.appendAll(outcomes);
      throw error;
    }
    this.deps.journal.appendAll(outcomes);
    return answer.after;
  }

  /**
   * A failure on this computer in plain words (e.g. the misleading "cannot connect to the destination"
   * of a stopped local WinRM service); the original stays in the journal's detail.
   */
  private localFailure(caught: unknown, begin: BeginRecord): unknown {
    if (caught instanceof PrimitiveError && caught.record.kind !== 'invalid-payload' && caught.record.kind !== 'secret-channel') {
      const d = diagnose(caught.record, { jumpServer: begin.jumpServer, target: begin.target, stage: 'local' });
      if (d.id !== 'unknown') return new AppError('powershell-failed', `${d.cause}. ${d.explanation}`, d.fix);
    }
    return caught;
  }

  /** Runs the probe on the target through the jump server. */
  async test(t: HopTarget, credential: Credential | null, mode: 'credssp' | 'explicit' | 'kerberos', options: TestOptions = {}): Promise<TestResult> {
    return this.controlled(options, (progress) => this.testNow(t, credential, mode, options.targetCredential ?? null, progress, options.serverCredSSP));
  }

  private async testNow(t: HopTarget, credential: Credential | null, mode: 'credssp' | 'explicit' | 'kerberos', targetCredential: Credential | null, progress: Progress, serverCredSSP: boolean | null | undefined): Promise<TestResult> {
    const command = t.probe && t.probe.trim() !== '' ? t.probe : DEFAULT_PROBE;
    if (mode === 'credssp' && !credential) {
      throw new AppError('refused', 'CredSSP needs the account\'s password.', 'Enter the password for the jump server account and test again.');
    }
    progress(mode === 'credssp' ? `Opening a CredSSP session to ${t.jumpServer}` : `Connecting to ${t.jumpServer}`, 0.2);
    // A local account of the target goes to the inner call explicitly with CredSSP too: the delegated
    // credentials are another account's, which means nothing on the target (plan.ts, localAccountNotes).
    const explicitInner = mode === 'explicit' || (mode === 'credssp' && targetCredential !== null && isLocalAccountOf(t.targetAccount, t.target));
    const result = explicitInner
      ? await this.remote(t.jumpServer, 'ProbeExplicit', { target: t.target, command }, credential, mode === 'credssp' ? 'CredSSP' : 'Default', targetCredential ?? credential ?? undefined)
      : await this.remote(t.jumpServer, 'Probe', { target: t.target, command }, credential, mode === 'credssp' ? 'CredSSP' : 'Default');
    progress('Probe finished', 1);
    if (result.errors.length === 0) return { ok: true, mode, output: result.output, errors: [] };
    const first = result.errors[0]!;
    const client = await this.readClient().catch(() => null);
    const diagnosis = diagnose(first, {
      jumpServer: t.jumpServer,
      target: t.target,
      stage: first.origin === 'remote' ? 'target' : 'jump',
      outerAuthentication: mode === 'credssp' ? 'CredSSP' : 'Default',
      clientElevated: client?.isElevated,
      serverCredSSP,
      // Managed by a domain GPO, or nobody can tell; a script-written registry list is not a GPO's.
      delegationPolicyManaged: client
        ? controlledElsewhere(client.delegation.fresh.effective, client.delegation.fresh.local) && (client.policyOwners?.fresh != null || client.policyOwners?.rsopAvailable !== true)
        : undefined,
    });
    return { ok: false, mode, output: result.output, errors: result.errors, diagnosis };
  }

  /** Sessions in the journal whose changes are not yet restored. */
  openSessions(): OpenSession[] {
    return this.deps.journal.openSessions();
  }

  /** Open sessions this engine can restore: all but those another practice lab's machines wait on. */
  restorableSessions(): OpenSession[] {
    return this.openSessions().filter((s) => otherPracticeLab(s.begin, this.deps.practiceLab) === null);
  }

  /** Restorable sessions past their time box. */
  overdueSessions(at: Date = this.now()): OpenSession[] {
    return this.restorableSessions().filter((s) => new Date(s.begin.expiresAt).getTime() <= at.getTime());
  }

  /**
   * Puts every machine back to the snapshot of every open session, newest first (so two profiles
   * applied one after the other unwind in order), then reads the state again and reports differences.
   */
  async restoreAll(credentialFor: (begin: BeginRecord) => Credential | null, reason: string, control: RunControl = {}): Promise<RestoreReport> {
    return this.controlled(control, (progress) => this.restoreAllNow(credentialFor, reason, progress));
  }

  private async restoreAllNow(credentialFor: (begin: BeginRecord) => Credential | null, reason: string, progress: Progress): Promise<RestoreReport> {
    return this.deps.journal.withLock(async () => {
      const open = this.openSessions().reverse();
      const report: RestoreReport = { sessions: [], clean: true };
      const jumpServers = new Map<string, Credential | null>();
      const views: TaskViews = { local: null, remote: new Map() };
      for (const [index, s] of open.entries()) {
        // Another practice lab's machines are not these: its session waits, open, for a restore there.
        const lab = otherPracticeLab(s.begin, this.deps.practiceLab);
        if (lab !== null) {
          report.sessions.push({ session: s.begin.session, profileName: s.begin.profileName, complete: false, operations: [], differences: [otherLabDifference(lab)] });
          report.clean = false;
          continue;
        }
        progress(`Restoring ${s.begin.profileName} (${s.begin.jumpServer})`, index / Math.max(open.length, 1));
        const entry = await this.restoreSession(s, credentialFor(s.begin), reason, views);
        report.sessions.push(entry);
        if (!entry.complete) report.clean = false;
        if (!jumpServers.has(s.begin.jumpServer)) jumpServers.set(s.begin.jumpServer, credentialFor(s.begin));
      }
      // Tasks an earlier session left behind (the check reports them): gone with this clean-up.
      const cleaned: string[] = [];
      await this.removeLeftoverTasks(jumpServers, cleaned, views);
      if (cleaned.length > 0) report.sessions.at(-1)?.operations.push(...cleaned);
      // Nothing left to restore here: end the kept management sessions, so no remote shell of CredHop's
      // stays open on a jump server after a clean-up (the next check opens a new one).
      if (this.restorableSessions().length === 0) await this.closeManagementSessions();
      if (report.sessions.some((s) => s.complete)) this.compactJournal();
      progress(report.clean ? 'Everything is back as it was' : 'Restore finished with differences', 1);
      return report;
    });
  }

  /**
   * Drops closed sessions from the journal. Housekeeping: a failure (a full disk) leaves the journal as
   * it was, every session in it still correct, and the next restore tries again; it never fails a restore.
   */
  private compactJournal(): void {
    try {
      this.deps.journal.compact(this.now());
    } catch {
      // See above: the old journal is intact and still right.
    }
  }

  /** Compacts the journal at start (a journal written by an older CredHop, or a restore that crashed before compacting). */
  async tidyJournal(): Promise<void> {
    await this.deps.journal.withLock(async () => this.compactJournal());
  }

  private async restoreSession(s: OpenSession, credential: Credential | null, reason: string, views: TaskViews): Promise<RestoreReport['sessions'][number]> {
    const { begin } = s;
    this.clientAfterStep.delete(begin.session);
    const intents = s.intents.map((i) => i.change);
    const operations: string[] = [];
    const disarmDifferences: string[] = [];
    const now = () => this.now().toISOString();
    const who = begin.snapshot.client.userName;
    const armed = new Set(intents.filter((c) => c.kind === 'restore-task').map((c) => c.host));

    // This computer: its scheduled restore goes first, so it cannot fire in the middle of this restore,
    // and the state the operations are decided on is read in the same call.
    const first = await this.call('Batch', { steps: armed.has('client') ? [{ primitive: 'DisarmRestoreTask', payload: { session: begin.session } }] : [], readBack: true }, batchResult);
    if (first.error) throw new PrimitiveError('DisarmRestoreTask', first.error);
    if (armed.has('client')) this.noteDisarm(begin, begin.snapshot.client.computerName, true, disarmResult.safeParse(first.results[0]).data?.taskRemoved ?? false, operations, disarmDifferences);
    const client = first.after ?? (await this.readClient());
    const ops = clientRestoreOps(begin.snapshot, intents, client);
    // The operations, the read that verifies them and the scheduled restores left here: one call (the
    // jump server's flag cannot change this computer, so reading it before that step reads the end state).
    const batch = await this.restoreClient(ops);
    for (const op of ops.slice(0, batch.done)) {
      operations.push(describeRestoreOp(op, begin.jumpServer));
      this.deps.audit.write({ at: now(), who, profile: begin.profileName, host: begin.snapshot.client.computerName, action: `restore: ${op.kind}`, from: 'changed', to: 'snapshot', outcome: 'ok', session: begin.session });
    }
    if (batch.error) throw new PrimitiveError(batch.failed!, batch.error);
    if (batch.tasks) views.local = batch.tasks;
    let server: ServerState | null = null;
    if (intents.some((c) => c.kind === 'server-credssp') || armed.has('server')) {
      // The jump server in one call, whatever state a crash left it in: its scheduled restore removed,
      // the flag set back to the snapshot (idempotent) and read, the scheduled restores left there.
      const op = serverRestoreOp(begin.snapshot, intents, null);
      const r = await this.remote(begin.jumpServer, 'RestoreServer', { session: armed.has('server') ? begin.session : null, enabled: op ? op.enabled : null }, credential);
      const part = <S extends z.ZodType>(name: string, schema: S): z.output<S> | null => {
        if (r.errors.length > 0) return null;
        const found = schema.safeParse(r.output.find((o) => typeof o === 'object' && o !== null && (o as { part?: unknown }).part === name));
        return found.success ? found.data : null;
      };
      if (armed.has('server')) {
        const d = part('disarm', restoreServerDisarm);
        this.noteDisarm(begin, begin.jumpServer, d !== null && d.done, d?.taskRemoved ?? false, operations, disarmDifferences);
      }
      const flag = part('flag', restoreServerFlag);
      server = flag && flag.error === null && flag.after !== null ? { ...begin.snapshot.server, serviceCredSSP: flag.after } : null;
      if (op) {
        operations.push(`WinRM service CredSSP on ${begin.jumpServer} set back to ${op.enabled}`);
        this.deps.audit.write({ at: now(), who, profile: begin.profileName, host: begin.jumpServer, action: 'restore: WinRM service CredSSP', from: flag?.before != null ? String(flag.before) : 'unknown', to: String(op.enabled), outcome: server ? 'ok' : 'failed', session: begin.session });
      }
      const tasks = part('tasks', restoreTasksView);
      if (tasks) views.remote.set(begin.jumpServer, tasks);
    } else {
      server = begin.snapshot.server; // never touched, nothing to verify remotely
    }
    const after = batch.after ?? (await this.readClient());
    const note = ops.some((o) => o.kind === 'trusted-hosts' && o.note) ? null : trustedHostsNote(begin.snapshot, intents, after);
    if (note) operations.push(note);
    const differences = [...diffStates(begin.snapshot, after, server, intents), ...disarmDifferences];
    const complete = differences.length === 0;
    this.deps.journal.append({ type: 'restored', session: begin.session, at: now(), complete, reason, differences });
    return { session: begin.session, profileName: begin.profileName, complete, differences, operations };
  }

  /** Housekeeping that never fails a restore: a session left open ends at the jump server's idle time-out. */
  private async closeManagementSessions(): Promise<void> {
    // No PowerShell running: no session to end (and no reason to start one).
    if (!this.deps.ps.shell.isRunning) return;
    try {
      await this.call('CloseSessions', {}, z.object({ closed: z.number() }));
    } catch {
      // see above
    }
  }

  /** Reports (and audits) the removal of a session's scheduled restore on one machine. */
  private noteDisarm(begin: BeginRecord, machine: string, ok: boolean, removed: boolean, operations: string[], differences: string[]): void {
    if (!ok) differences.push(`The scheduled restore on ${machine} could not be removed (it would only put back what is already back).`);
    else if (removed) operations.push(`Removed the scheduled restore on ${machine}`);
    this.deps.audit.write({ at: this.now().toISOString(), who: begin.snapshot.client.userName, profile: begin.profileName, host: machine, action: 'restore: scheduled restore removed', from: 'armed', to: 'none', outcome: ok ? 'ok' : 'failed', session: begin.session });
  }

  /**
   * Runs this computer's restore operations in order in one PowerShell call (stopping at the first that
   * fails) and reads the state back in the same call. `done` counts the operations that took effect.
   */
  private async restoreClient(ops: readonly RestoreOp[]): Promise<{ done: number; error: ModuleError | null; failed: string | null; after: HostState | null; tasks: RestoreTasksView | null }> {
    const steps = ops.map(restoreOpCall);
    const r = await this.call('Batch', { steps: [...steps, { primitive: 'ReadRestoreTasks', payload: {} }], readBack: true }, batchResult);
    const done = Math.min(r.done, steps.length);
    const tasks = r.done > steps.length ? restoreTasksView.safeParse(r.results[steps.length]) : null;
    return { done, error: r.error, failed: r.error ? (steps[done]?.primitive ?? 'ReadRestoreTasks') : null, after: r.after, tasks: tasks?.success ? tasks.data : null };
  }

  /** Registers (or replaces) the scheduled restore on the step's machine: a journaled effect like any other. */
  private async armSafetyNet(step: 'client' | 'server', begin: BeginRecord, credential: Credential | null, client: HostState, server: ServerState | null): Promise<ApplyResult['safetyNet']> {
    const intents = this.sessionIntents(begin.session);
    const plan = step === 'client' ? clientTaskPlan(begin, intents, client) : server ? serverTaskPlan(begin, intents, server) : null;
    if (!plan || plan.steps.length === 0) return null;
    const change: Change = { kind: 'restore-task', host: step };
    const changeId = `restore-task-${step}-${randomUUID().slice(0, 8)}`;
    const host = step === 'client' ? begin.snapshot.client.computerName : begin.jumpServer;
    const who = begin.snapshot.client.userName;
    const payload = { session: begin.session, expiresAt: begin.expiresAt, plan };
    this.deps.journal.append({ type: 'intent', session: begin.session, changeId, at: this.now().toISOString(), change });
    try {
      let at: string;
      if (step === 'client') {
        at = (await this.call('ArmRestoreTask', payload, armResult)).at;
      } else {
        const r = await this.remote(begin.jumpServer, 'ArmRestoreTask', payload, credential);
        const armed = armResult.safeParse(r.output[0]);
        if (r.errors.length > 0 || !armed.success) {
          throw new AppError('powershell-failed', `The restore could not be scheduled on ${begin.jumpServer}: ${r.errors[0]?.message ?? 'no answer'}`, 'Restore now (Clean up), or keep CredHop open until the time box ends.');
        }
        at = armed.data.at;
      }
      this.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: this.now().toISOString(), ok: true, detail: `at ${at}` });
      this.deps.audit.write({ at: this.now().toISOString(), who, profile: begin.profileName, host, action: 'scheduled restore (Task Scheduler)', from: 'none', to: `armed for ${at}`, outcome: 'ok', session: begin.session });
      return { host, at };
    } catch (caught) {
      const message = caught instanceof AppError ? caught.message : 'PowerShell failed';
      this.deps.journal.append({ type: 'outcome', session: begin.session, changeId, at: this.now().toISOString(), ok: false, detail: message.slice(0, 300) });
      this.deps.audit.write({ at: this.now().toISOString(), who, profile: begin.profileName, host, action: 'scheduled restore (Task Scheduler)', from: 'none', to: 'armed', outcome: 'failed', session: begin.session, detail: message });
      throw caught;
    }
  }

  /** Removes the session's scheduled tasks (and their files and outcome records). Returns what could not be removed. */
  private async disarmSafetyNet(begin: BeginRecord, intents: readonly Change[], credential: Credential | null, operations: string[]): Promise<string[]> {
    const hosts = new Set(intents.filter((c) => c.kind === 'restore-task').map((c) => c.host));
    const out: string[] = [];
    for (const h of ['client', 'server'] as const) {
      if (!hosts.has(h)) continue;
      const name = h === 'client' ? begin.snapshot.client.computerName : begin.jumpServer;
      let ok = true;
      let removed = false;
      try {
        if (h === 'client') {
          removed = (await this.call('DisarmRestoreTask', { session: begin.session }, disarmResult)).taskRemoved;
        } else {
          const r = await this.remote(begin.jumpServer, 'DisarmRestoreTask', { session: begin.session }, credential);
          const d = disarmResult.safeParse(r.output[0]);
          ok = r.errors.length === 0 && d.success;
          removed = d.success && d.data.taskRemoved;
        }
      } catch (error) {
        if (h === 'client') throw error;
        ok = false;
      }
      this.noteDisarm(begin, name, ok, removed, operations, out);
    }
    return out;
  }

  /** Removes the leftover tasks on this computer and on the given jump servers (after a restore). */
  private async removeLeftoverTasks(jumpServers: Map<string, Credential | null>, operations: string[], views: TaskViews): Promise<void> {
    const open = this.openSessions().map((s) => s.begin.session);
    // What the restore just read (its last calls to each machine answered the tasks there), else a read.
    const local = views.local ?? (await this.call('ReadRestoreTasks', {}, restoreTasksView).catch(() => null));
    for (const id of local ? leftoverTasks(local, open) : []) {
      await this.call('DisarmRestoreTask', { session: id }, disarmResult).then(() => operations.push(`Removed a scheduled restore left on ${local!.computerName} by an earlier session (${id})`), () => undefined);
    }
    for (const [jump, credential] of jumpServers) {
      let view = views.remote.get(jump) ?? null;
      if (!view) {
        const r = await this.remote(jump, 'ReadRestoreTasks', {}, credential).catch(() => null);
        const parsed = r && r.errors.length === 0 ? restoreTasksView.safeParse(r.output[0]) : null;
        view = parsed?.success ? parsed.data : null;
      }
      for (const id of view ? leftoverTasks(view, open) : []) {
        const d = await this.remote(jump, 'DisarmRestoreTask', { session: id }, credential).catch(() => null);
        if (d && d.errors.length === 0) operations.push(`Removed a scheduled restore left on ${jump} by an earlier session (${id})`);
      }
    }
  }

  /** The changes journaled for a session so far (the open session's intents). */
  private sessionIntents(session: string): Change[] {
    return this.deps.journal.openSessions().find((s) => s.begin.session === session)?.intents.map((i) => i.change) ?? [];
  }

  /**
   * At start: closes the open sessions whose machines the scheduled tasks already put back (their
   * outcome records say so), as "restored by the scheduled safety net at <time>", journaled and audited,
   * and removes the records. A session whose tasks have not run (or failed) stays open for CredHop's own
   * restore. Returns the report, or null when no session had a task.
   */
  async reconcile(credentialFor: (begin: BeginRecord) => Credential | null): Promise<RestoreReport | null> {
    return this.deps.journal.withLock(async () => {
      const open = this.restorableSessions().filter((s) => s.intents.some((i) => i.change.kind === 'restore-task'));
      if (open.length === 0) return null;
      const report: RestoreReport = { sessions: [], clean: true };
      const local = await this.call('ReadRestoreTasks', {}, restoreTasksView);
      for (const s of open) {
        const { begin } = s;
        const intents = s.intents.map((i) => i.change);
        const hosts = new Set(intents.filter((c) => c.kind === 'restore-task').map((c) => c.host));
        const credential = credentialFor(begin);
        const outcomes: TaskOutcome[] = [];
        if (hosts.has('client')) {
          const o = outcomeFor(local, begin.session);
          if (!o) continue;
          outcomes.push(o);
        }
        let server: ServerState | null = begin.snapshot.server;
        if (hosts.has('server')) {
          const r = await this.remote(begin.jumpServer, 'ReadRestoreTasks', {}, credential).catch(() => null);
          const view = r && r.errors.length === 0 ? restoreTasksView.safeParse(r.output[0]) : null;
          const o = view?.success ? outcomeFor(view.data, begin.session) : null;
          if (!o) continue;
          outcomes.push(o);
          server = (await this.readServer(begin.jumpServer, credential)).state;
        }
        if (!outcomes.every(outcomeDone)) continue;
        const restoredAt = outcomes.map((o) => o.ranAt).sort().at(-1)!;
        const client = await this.readClient();
        const differences = diffStates(begin.snapshot, client, server, intents);
        const notes = outcomes.flatMap(outcomeNotes);
        const reason = `restored by the scheduled safety net at ${restoredAt}`;
        // Complete: the tasks put back all of CredHop's part; what differs now is someone else's, reported.
        this.deps.journal.append({ type: 'restored', session: begin.session, at: this.now().toISOString(), complete: true, reason, differences });
        const machines = outcomes.map((o) => o.result?.computerName ?? o.machine);
        this.deps.audit.write({ at: this.now().toISOString(), who: begin.snapshot.client.userName, profile: begin.profileName, host: machines.join(', '), action: 'restored by the scheduled safety net', from: 'changed', to: 'snapshot', outcome: 'ok', session: begin.session, detail: `at ${restoredAt}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}` });
        const operations = outcomes.flatMap((o) => (o.result?.restored ?? []).map((t) => `${o.result?.computerName ?? o.machine}: ${t}`));
        // The records are read; remove them (and any task file left) so a later check finds nothing.
        await this.disarmSafetyNet(begin, intents, credential, []).catch(() => []);
        report.sessions.push({ session: begin.session, profileName: begin.profileName, complete: true, differences, operations, safetyNet: { restoredAt, notes } });
        if (differences.length > 0) report.clean = false;
      }
      if (report.sessions.length > 0) this.compactJournal();
      return report.sessions.length > 0 ? report : null;
    });
  }

  private sessionBegin(session: string): BeginRecord {
    const found = this.deps.journal.read().records.find((r): r is BeginRecord => r.type === 'begin' && r.session === session);
    if (!found) throw new AppError('not-found', 'That CredHop session is not in the journal.', 'Run the check again.');
    return found;
  }
}
