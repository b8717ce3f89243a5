// The close guard: closing the window or quitting CredHop while changes are open asks the operator
// first (Restore now / Keep until <time> / Cancel). Plain Node: the bootstrap (index.ts) forwards
// Electron's close and before-quit events here and gives it two effects, "ask the window" and "quit".
import type { QuitChoice, QuitRequest, QuitSession } from '../../shared/contract/app';
import type { RestoreReportData } from '../../shared/contract/hop';
import { AppError } from '../errors';
import type { HandlerContext } from '../ipc/handler';
import type { OpenSession } from '../hop/journal';

/**
 * What the dialog shows for the open sessions, or null when nothing is open (then CredHop quits
 * without asking). Pure.
 */
export function quitRequestFor(open: readonly OpenSession[], scheduledRestore: boolean): QuitRequest | null {
  if (open.length === 0) return null;
  const sessions: QuitSession[] = open.map((s) => {
    const hosts = new Set(s.intents.map((i) => i.change.host));
    const machines = [...(hosts.has('client') ? ['this computer'] : []), ...(hosts.has('server') ? [s.begin.jumpServer] : [])];
    return {
      session: s.begin.session,
      profileName: s.begin.profileName,
      jumpServer: s.begin.jumpServer,
      // A session begun but not yet applied has changed nothing; it is still open in the journal.
      machines: machines.length > 0 ? machines : ['this computer'],
      expiresAt: s.begin.expiresAt,
      practice: s.begin.practice,
    };
  });
  const keepUntil = sessions.map((s) => s.expiresAt).reduce((a, b) => (new Date(b).getTime() > new Date(a).getTime() ? b : a));
  return { sessions, keepUntil, scheduledRestore };
}

export interface CloseGuardDeps {
  /** The journal's open sessions now (empty when there is no hop engine). */
  openSessions(): OpenSession[];
  /** Whether a scheduled restore on the machines covers these sessions with CredHop closed. */
  scheduledRestore(open: readonly OpenSession[]): boolean;
  /** Restores every open session, reporting progress on the answer's operationId (the app's Clean up now). */
  restore(ctx: HandlerContext): Promise<RestoreReportData>;
  /** Runs `fn` after the current IPC answer has gone out (so the window hears "quitting" first). */
  defer?: (fn: () => void) => void;
}

/** The two effects only the bootstrap can perform. */
export interface CloseGuardWindow {
  /** Shows the request in the window; false when there is no window to ask. */
  ask(request: QuitRequest): boolean;
  /** Quits for real (the guard lets the resulting close and quit events through). */
  quit(): void;
}

export type QuitAttempt = 'allow' | 'prevent';

export class CloseGuard {
  private window: CloseGuardWindow | null = null;
  /** The request the window is showing now; a second close or quit meanwhile asks nothing new. */
  private pending: QuitRequest | null = null;
  private quitting = false;
  private restoring = false;
  private readonly defer: (fn: () => void) => void;

  constructor(private readonly deps: CloseGuardDeps) {
    this.defer = deps.defer ?? ((fn) => void setTimeout(fn, 0));
  }

  connect(window: CloseGuardWindow): void {
    this.window = window;
  }

  /** Whether the window is showing a quit request now. */
  get asking(): boolean {
    return this.pending !== null;
  }

  /**
   * Called on the window's `close` and the app's `before-quit`: 'allow' lets it happen, 'prevent'
   * means the event must be cancelled (the window was asked, or is already asking).
   */
  attempt(): QuitAttempt {
    if (this.quitting) return 'allow';
    if (this.pending) {
      // Bring the one open dialog back to the front; the renderer shows one dialog per request.
      this.window?.ask(this.pending);
      return 'prevent';
    }
    const open = this.deps.openSessions();
    const request = quitRequestFor(open, this.deps.scheduledRestore(open));
    if (!request) return 'allow';
    // No window to ask (it is already gone): nothing can be shown, so the time box decides as before.
    if (!this.window || !this.window.ask(request)) return 'allow';
    this.pending = request;
    return 'prevent';
  }

  /**
   * Lets every close and quit through from now on, unasked: Windows is ending the session (shutdown,
   * restart, sign-out), no one is there to answer, and holding the window open would block it. The
   * open changes stay in the journal for the time box, as after a crash.
   */
  release(): void {
    this.quitting = true;
    this.pending = null;
  }

  /** The window's answer (appQuitAnswer). */
  async answer(choice: QuitChoice, ctx: HandlerContext): Promise<{ quitting: boolean; report: RestoreReportData | null }> {
    if (choice === 'cancel') {
      if (this.restoring) throw new AppError('conflict', 'CredHop is restoring the changes now.', 'Wait until it finishes, then choose again.');
      this.pending = null;
      return { quitting: false, report: null };
    }
    if (!this.pending) throw new AppError('conflict', 'CredHop is not closing.', 'Close the window again to see the choices.');
    if (choice === 'keep') return this.quitNow(null);
    if (this.restoring) throw new AppError('conflict', 'CredHop is already restoring the changes.', 'Wait until it finishes.');
    this.restoring = true;
    try {
      const report = await this.deps.restore(ctx);
      // Quit only when every machine is back; otherwise the dialog shows what differs and stays open.
      if (report.clean && this.deps.openSessions().length === 0) return this.quitNow(report);
      return { quitting: false, report };
    } finally {
      this.restoring = false;
    }
  }

  private quitNow(report: RestoreReportData | null): { quitting: true; report: RestoreReportData | null } {
    this.quitting = true;
    this.pending = null;
    const window = this.window;
    this.defer(() => window?.quit());
    return { quitting: true, report };
  }
}
