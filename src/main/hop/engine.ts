// The hop engine: snapshot, plan, apply, test, restore — each effect journaled before it happens and
// audited after, each step verified by reading the state back. Decisions live in plan.ts, restore.ts,
// safety-net.ts and diagnose.ts; each use case's effects live in a file of its own over the shared
// context (engine-context.ts): check.ts, apply.ts, hop-test.ts, restore-run.ts, safety-net-arm.ts and
// reconcile.ts. This class is the facade the app, the command line and the tests call.
import type { HostState, Plan, ServerState, Snapshot, ErrorRecordData } from '../../shared/domain/hop';
import type { UsageByProfile } from '../../shared/domain/profile-state';
import { applyStep, beginSession, DEFAULT_TIMEBOX_MINUTES, trustJumpServer, type ApplyResult } from './apply';
import type { AuditLog } from './audit';
import { checkHop, type CheckResult } from './check';
import { HopContext, type Credential, type HopEngineDeps, type HopTarget, type RunControl } from './engine-context';
import { testHop, type TestOptions, type TestResult } from './hop-test';
import type { BeginRecord, OpenSession } from './journal';
import type { PlanInput } from './plan';
import { reconcileSessions } from './reconcile';
import { restoreAll, type RestoreReport } from './restore-run';

export type { Credential, HopEngineDeps, HopTarget, Progress, RunControl } from './engine-context';
export { DEFAULT_TIMEBOX_MINUTES, MAX_TIMEBOX_MINUTES, type ApplyResult } from './apply';
export type { CheckResult } from './check';
export { DEFAULT_PROBE, type TestOptions, type TestResult } from './hop-test';
export type { RestoreReport } from './restore-run';

export class HopEngine {
  private readonly ctx: HopContext;

  constructor(deps: HopEngineDeps) {
    this.ctx = new HopContext(deps);
  }

  /** The audit log this engine writes (for export). */
  get audit(): AuditLog {
    return this.ctx.deps.audit;
  }

  readClient(): Promise<HostState> {
    return this.ctx.readClient();
  }

  /** The jump server's state (the first output of ReadServerState, or of ReadServerCheck with its tasks second). */
  readServer(jumpServer: string, credential: Credential | null, script: 'ReadServerState' | 'ReadServerCheck' = 'ReadServerState'): Promise<{ state: ServerState | null; errors: ErrorRecordData[]; output: unknown[] }> {
    return this.ctx.readServer(jumpServer, credential, script);
  }

  check(t: HopTarget, credential: Credential | null, options: Pick<PlanInput, 'wildcard' | 'ntlmOnlyConfirmed'> & RunControl = {}): Promise<CheckResult> {
    return this.ctx.controlled(options, (progress) => checkHop(this.ctx, t, credential, options, progress));
  }

  /** Starts a journal session for a flow (once, before its first effect). */
  beginSession(t: HopTarget, snapshot: Snapshot, timeboxMinutes = DEFAULT_TIMEBOX_MINUTES): string {
    return beginSession(this.ctx, t, snapshot, timeboxMinutes);
  }

  /** The fix for the check's 'trusted-hosts' diagnosis (see apply.ts). */
  trustJumpServer(t: HopTarget, client: HostState, timeboxMinutes = DEFAULT_TIMEBOX_MINUTES, control: RunControl = {}): Promise<ApplyResult> {
    return trustJumpServer(this.ctx, t, client, timeboxMinutes, control);
  }

  /** Applies the client or the server part of the plan, then reads the state back to verify it. */
  apply(step: 'client' | 'server', t: HopTarget, plan: Plan, session: string, credential: Credential | null, control: RunControl = {}): Promise<ApplyResult> {
    return this.ctx.controlled(control, (progress) => applyStep(this.ctx, step, t, plan, session, credential, progress));
  }

  /** Runs the probe on the target through the jump server. */
  test(t: HopTarget, credential: Credential | null, mode: 'credssp' | 'explicit' | 'kerberos', options: TestOptions = {}): Promise<TestResult> {
    return this.ctx.controlled(options, (progress) => testHop(this.ctx, t, credential, mode, options.targetCredential ?? null, progress, options.serverCredSSP));
  }

  /** Sessions in the journal whose changes are not yet restored. */
  openSessions(): OpenSession[] {
    return this.ctx.openSessions();
  }

  /** Each saved profile's last use and last verified hop in this mode (usage.json), for the home. */
  profileUsage(): Promise<UsageByProfile> {
    return this.ctx.deps.usage?.read() ?? Promise.resolve({});
  }

  /** Open sessions this engine can restore: all but those another practice lab's machines wait on. */
  restorableSessions(): OpenSession[] {
    return this.ctx.restorableSessions();
  }

  /** Restorable sessions past their time box. */
  overdueSessions(at: Date = this.ctx.now()): OpenSession[] {
    return this.restorableSessions().filter((s) => new Date(s.begin.expiresAt).getTime() <= at.getTime());
  }

  /**
   * Puts every machine back to the snapshot of every open session, newest first (so two profiles
   * applied one after the other unwind in order), then reads the state again and reports differences.
   */
  restoreAll(credentialFor: (begin: BeginRecord) => Credential | null, reason: string, control: RunControl = {}): Promise<RestoreReport> {
    return this.ctx.controlled(control, (progress) => restoreAll(this.ctx, credentialFor, reason, progress));
  }

  /** Compacts the journal at start (a journal written by an older CredHop, or a restore that crashed before compacting). */
  async tidyJournal(): Promise<void> {
    await this.ctx.deps.journal.withLock(async () => this.ctx.compactJournal());
  }

  /** At start: closes the sessions the scheduled tasks already put back (see reconcile.ts). */
  reconcile(credentialFor: (begin: BeginRecord) => Credential | null): Promise<RestoreReport | null> {
    return reconcileSessions(this.ctx, credentialFor);
  }
}
