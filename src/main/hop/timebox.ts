// The time box: every apply carries an expiry; when it passes, CredHop restores by itself. If the app
// was closed, overdue changes are restored at the next start, and the user is told.
import type { HopEngine, RestoreReport, Credential } from './engine';
import type { BeginRecord } from './journal';

export interface ExpiryWatcherDeps {
  hop: () => HopEngine | null;
  credentialFor: (begin: BeginRecord) => Promise<Credential | null>;
  onRestored: (report: RestoreReport, reason: 'start' | 'expiry') => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

/** Two start reports as one (either may be null). Pure. */
export function mergeReports(a: RestoreReport | null, b: RestoreReport | null): RestoreReport | null {
  if (!a) return b;
  if (!b) return a;
  return { sessions: [...a.sessions, ...b.sessions], clean: a.clean && b.clean };
}

/** Milliseconds until the earliest expiry, or null when nothing is open. Pure. */
export function nextExpiryIn(expiries: readonly string[], now: number): number | null {
  if (expiries.length === 0) return null;
  const earliest = Math.min(...expiries.map((e) => new Date(e).getTime()));
  return Math.max(0, earliest - now);
}

export class ExpiryWatcher {
  private timer: { cancel(): void } | null = null;
  private running: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<ExpiryWatcherDeps['setTimer']>;

  constructor(private readonly deps: ExpiryWatcherDeps) {
    this.now = deps.now ?? Date.now;
    this.setTimer =
      deps.setTimer ??
      ((fn, ms) => {
        // setTimeout caps at ~24.8 days; the time box is at most 8 hours, and we re-arm after firing.
        const t = setTimeout(fn, Math.min(ms, 2_147_000_000));
        t.unref?.();
        return { cancel: () => clearTimeout(t) };
      });
  }

  /**
   * At start: close what the scheduled tasks already restored while CredHop was not running, then
   * restore whatever else expired meanwhile. One report for both.
   */
  async start(): Promise<RestoreReport | null> {
    const reconciled = await this.reconcile();
    const report = await this.restoreOverdue('start');
    this.reschedule();
    return mergeReports(reconciled, report);
  }

  private async reconcile(): Promise<RestoreReport | null> {
    const hop = this.deps.hop();
    if (!hop) return null;
    const credentials = new Map<string, Credential | null>();
    for (const s of hop.openSessions()) {
      if (s.intents.some((i) => i.change.kind === 'restore-task')) credentials.set(s.begin.session, await this.deps.credentialFor(s.begin));
    }
    if (credentials.size === 0) return null;
    // A machine that cannot be read now is simply not reconciled yet: never block start on it.
    return hop.reconcile((b) => credentials.get(b.session) ?? null).catch(() => null);
  }

  /** Call after every apply or restore. */
  reschedule(): void {
    this.timer?.cancel();
    this.timer = null;
    const hop = this.deps.hop();
    if (!hop) return;
    const wait = nextExpiryIn(hop.openSessions().map((s) => s.begin.expiresAt), this.now());
    if (wait === null) return;
    this.timer = this.setTimer(() => {
      void this.restoreOverdue('expiry').finally(() => this.reschedule());
    }, wait);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private async restoreOverdue(reason: 'start' | 'expiry'): Promise<RestoreReport | null> {
    if (this.running) await this.running;
    const hop = this.deps.hop();
    if (!hop) return null;
    const overdue = hop.overdueSessions(new Date(this.now()));
    if (overdue.length === 0) return null;
    const credentials = new Map<string, Credential | null>();
    for (const s of hop.openSessions()) credentials.set(s.begin.session, await this.deps.credentialFor(s.begin));
    let report: RestoreReport | null = null;
    this.running = (async () => {
      report = await hop.restoreAll((b) => credentials.get(b.session) ?? null, reason === 'start' ? 'time box expired while CredHop was closed' : 'time box expired');
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
    if (report) this.deps.onRestored(report, reason);
    return report;
  }
}
