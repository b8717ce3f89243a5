// The hop engine's shared context: its dependencies, the clock, the cancel scope of the operation in
// progress and the two ways effects reach PowerShell (a primitive here, a catalogued script on a remote
// host). Each use case (check.ts, apply.ts, hop-test.ts, restore-run.ts, safety-net-arm.ts,
// reconcile.ts) is a set of functions over this context; engine.ts is the facade the app calls.
import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import type { Change, ErrorRecordData, HostState, ServerState } from '../../shared/domain/hop';
import { errorRecord, hostState, serverState } from '../../shared/domain/hop';
import { AppError } from '../errors';
import type { UsageRecorder } from '../profiles/usage';
import type { PowerShellEngine } from '../powershell/engine';
import type { AuditLog } from './audit';
import type { BeginRecord, Journal, OpenSession } from './journal';
import { otherPracticeLab } from './restore';

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

export interface HopEngineDeps {
  ps: PowerShellEngine;
  journal: Journal;
  audit: AuditLog;
  practice: boolean;
  /** Where each profile's last use and last verified hop are kept (the home says them); none in some tests. */
  usage?: UsageRecorder | undefined;
  /** The practice lab file this engine runs on: a session made in another lab is restored only there. */
  practiceLab?: string | undefined;
  now?: () => Date;
  /** Per-call timeout for remote steps (they can take long on real networks). */
  remoteTimeoutMs?: number;
}

/** Scripts that manage the jump server (as opposed to the hop test), run over the kept session. */
const MANAGEMENT_SCRIPTS = new Set(['ReadServerState', 'ReadServerCheck', 'RestoreServer', 'SetServiceFlag', 'ArmRestoreTask', 'DisarmRestoreTask', 'ReadRestoreTasks']);

const remoteResult = z.object({ output: z.array(z.unknown()), errors: z.array(errorRecord) });

const moduleError = z.object({
  kind: z.string(),
  message: z.string(),
  fullyQualifiedErrorId: z.string().nullish(),
  errorCode: z.number().nullish(),
  exceptionType: z.string().nullish(),
  category: z.string().nullish(),
});
/** The Batch primitive's answer (see the module's Batch.ps1). */
export const batchResult = z.object({ done: z.number().int().min(0), results: z.array(z.unknown()), error: moduleError.nullable(), after: hostState.nullable() });
/** DisarmRestoreTask's answer: whether a task was removed, and the outcome record of one that already ran. */
export const disarmResult = z.object({ taskRemoved: z.boolean(), outcome: z.string().nullish() }).passthrough();

export class HopContext {
  readonly now: () => Date;
  /**
   * The cancel signal of the operation in progress, carried through its async calls, so every
   * PowerShell call of a cancelled check, step, test or restore stops (the running one is killed,
   * later ones never start) without threading the signal through each helper by hand.
   */
  private readonly cancelScope = new AsyncLocalStorage<AbortSignal | undefined>();
  /** This computer as read back after a session's client step (the server step reports it unchanged). */
  readonly clientAfterStep = new Map<string, HostState>();

  constructor(readonly deps: HopEngineDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  call<S extends z.ZodType>(primitive: string, payload: unknown, schema: S, timeoutMs?: number, secrets?: readonly string[]): Promise<z.output<S>> {
    const signal = this.cancelScope.getStore();
    return this.deps.ps.call(primitive, payload, schema, { ...(timeoutMs ? { timeoutMs } : {}), ...(signal ? { signal } : {}), ...(secrets && secrets.length > 0 ? { secrets } : {}) });
  }

  controlled<T>(control: RunControl, work: (progress: Progress) => Promise<T>): Promise<T> {
    const progress = control.progress ?? (() => undefined);
    return this.cancelScope.run(control.signal, () => work(progress));
  }

  async readClient(): Promise<HostState> {
    return this.call('GetHostState', {}, hostState);
  }


  /**
   * One catalogued script on a remote host. Management calls (read, configure, restore the jump server)
   * share one kept session per host and account, so a whole flow opens one management connection plus
   * the CredSSP test's own; never CredSSP itself, which would keep delegated credentials alive there.
   */
  async remote(computerName: string, script: string, args: Record<string, unknown>, credential: Credential | null, authentication: 'Default' | 'CredSSP' = 'Default', targetCredential?: Credential) {
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

  /** Sessions in the journal whose changes are not yet restored. */
  openSessions(): OpenSession[] {
    return this.deps.journal.openSessions();
  }

  /** Open sessions this engine can restore: all but those another practice lab's machines wait on. */
  restorableSessions(): OpenSession[] {
    return this.openSessions().filter((s) => otherPracticeLab(s.begin, this.deps.practiceLab) === null);
  }

  /** The changes journaled for a session so far (the open session's intents). */
  sessionIntents(session: string): Change[] {
    return this.deps.journal.openSessions().find((s) => s.begin.session === session)?.intents.map((i) => i.change) ?? [];
  }

  sessionBegin(session: string): BeginRecord {
    const found = this.deps.journal.read().records.find((r): r is BeginRecord => r.type === 'begin' && r.session === session);
    if (!found) throw new AppError('not-found', 'That CredHop session is not in the journal.', 'Run the check again.');
    return found;
  }

  /**
   * Drops closed sessions from the journal. Housekeeping: a failure (a full disk) leaves the journal as
   * it was, every session in it still correct, and the next restore tries again; it never fails a restore.
   */
  compactJournal(): void {
    try {
      this.deps.journal.compact(this.now());
    } catch {
      // See above: the old journal is intact and still right.
    }
  }
}
