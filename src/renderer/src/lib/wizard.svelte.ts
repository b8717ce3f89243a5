// The wizard's state: where the operator is, what main answered, and the one operation running now.
// Components read it and call its methods; only this module and the steps talk to main.
import type { ApplyResponse, CheckResponse, RestoreReportData, SessionSummary, TestResponse } from '../../../shared/contract/hop';
import type { EnvReport } from '../../../shared/contract/env';
import type { StoreNotice } from '../../../shared/contract/profiles';
import type { SettingsView } from '../../../shared/contract/settings';
import type { Change } from '../../../shared/domain/hop';
import type { HopProfile } from '../../../shared/domain/profile';
import type { AppErrorData, Result } from '../../../shared/result';
import { call, getApi, newOperationId } from './api';
import { downloadText } from './download';
import type { StepId } from './steps';

export type Scope = StepId | 'cleanup' | 'settings' | 'banner' | 'express';

/** One change as a comparable key (what was applied, by a step, a fix or the express path). */
export function changeKey(c: Change): string {
  switch (c.kind) {
    case 'add-delegation':
      return `add-delegation:${c.list}:${c.spn.toLowerCase()}`;
    case 'client-credssp':
    case 'server-credssp':
      return `${c.kind}:${String(c.enabled)}`;
    case 'winrm-service':
      return 'winrm-service:running';
    case 'trusted-hosts':
      return `trusted-hosts:${c.entry.toLowerCase()}`;
    case 'restore-task':
      return `restore-task:${c.host}`;
  }
}

/** The express path: check, one view of the plan, one confirmation, then the verified hop. */
export type ExpressPhase = 'idle' | 'checking' | 'review' | 'applying' | 'done';

/** The one long-running call at a time, with its live progress. */
export class Operation {
  scope = $state<Scope | null>(null);
  label = $state('');
  message = $state('');
  fraction = $state<number | undefined>(undefined);
  /** The last finished operation's outcome, per scope, shown in that scope's status area. */
  outcome = $state<{ scope: Scope; message: string; level: 'info' | 'warn' | 'error' } | null>(null);
  /** The running operation's id (what hopCancel names), and whether a cancel was asked for. */
  operationId = $state<string | null>(null);
  cancelling = $state(false);

  get running(): boolean {
    return this.scope !== null;
  }

  /** Asks main to stop the running operation; its own result then reports the cancellation. */
  async cancel(): Promise<void> {
    const id = this.operationId;
    if (!id || this.cancelling) return;
    this.cancelling = true;
    this.message = 'Stopping…';
    await call(() => getApi().hopCancel({ operationId: id }));
  }

  async run<T>(scope: Scope, label: string, fn: (operationId: string) => Promise<Result<T>>, done?: (data: T) => string | { message: string; level: 'info' | 'warn' }): Promise<Result<T>> {
    const operationId = newOperationId();
    this.operationId = operationId;
    this.cancelling = false;
    this.scope = scope;
    this.label = label;
    this.message = label;
    this.fraction = undefined;
    this.outcome = null;
    let off: (() => void) | undefined;
    try {
      off = getApi().onProgress((event) => {
        if (event.operationId !== operationId) return;
        this.message = event.message;
        this.fraction = event.fraction;
      });
    } catch {
      // No bridge: the call below reports it.
    }
    try {
      const result = await call(() => fn(operationId));
      const finished = result.ok && done ? done(result.data) : 'Done.';
      this.outcome = result.ok
        ? typeof finished === 'string' ? { scope, message: finished, level: 'info' } : { scope, ...finished }
        : result.error.code === 'cancelled'
          ? { scope, message: 'Stopped. Anything already changed is in the journal: Clean up now puts it back.', level: 'warn' }
          : { scope, message: 'That did not work: the error message on this page says why.', level: 'error' };
      return result;
    } finally {
      off?.();
      this.scope = null;
      this.operationId = null;
      this.cancelling = false;
      this.fraction = undefined;
    }
  }
}

export interface RestoreResult {
  report: RestoreReportData;
  /** The original snapshot's check, and a fresh check read after the restore. */
  before: CheckResponse | null;
  after: CheckResponse | null;
}

export class Wizard {
  step = $state<StepId>('profile');
  view = $state<'wizard' | 'settings' | 'scan'>('wizard');
  op = new Operation();

  env = $state<EnvReport | null>(null);
  settings = $state<SettingsView | null>(null);
  practiceMode = $state(false);

  profiles = $state<HopProfile[]>([]);
  profileId = $state<string | null>(null);
  /** What the profile store had to say about its file (recovered, upgraded, kept aside). */
  notices = $state<StoreNotice[]>([]);

  /** The wildcard opt-in of the Check step: a `wsman/*.domain` entry instead of the exact name, and its separate confirmation. */
  wildcard = $state<{ spn: string; confirmed: boolean } | null>(null);
  /**
   * The NTLM-only list and TrustedHosts for this profile's jump server, confirmed on the Check step
   * (a jump server by address needs both; one warning covers them).
   */
  ntlmOnlyConfirmed = $state(false);

  check = $state<CheckResponse | null>(null);
  checkError = $state<AppErrorData | null>(null);
  applied = $state<{ client?: ApplyResponse; server?: ApplyResponse }>({});
  test = $state<TestResponse | null>(null);
  restore = $state<RestoreResult | null>(null);
  keptOn = $state(false);
  /** Every change applied and verified in this flow (by a configure step, a fix or the express path). */
  appliedKeys = $state<string[]>([]);

  express = $state<ExpressPhase>('idle');
  expressError = $state<AppErrorData | null>(null);
  /** Why the express path handed over to a wizard step, shown at the top of that step. */
  handover = $state<string | null>(null);

  /** Open (unrestored) sessions in the journal, and what the time box restored at start. */
  open = $state<SessionSummary[]>([]);
  /** The unrestored sessions found when CredHop started: the banner. */
  startBanner = $state<SessionSummary[] | null>(null);
  restoredAtStart = $state<RestoreReportData | null>(null);
  /** Result of Clean up now / the banner's restore, shown under the top bar. */
  cleanupNotice = $state<{ message: string; level: 'info' | 'warn' | 'error'; details: string[] } | null>(null);

  now = $state(Date.now());
  /** When a hop was last verified, per profile id, in this run of CredHop (the home screen says it). */
  verifiedAt = $state<Record<string, string>>({});

  get profile(): HopProfile | null {
    return this.profiles.find((p) => p.id === this.profileId) ?? null;
  }

  get plan() {
    return this.check?.plan ?? null;
  }

  /** The earliest expiry of the open sessions, when any. */
  get expiresAt(): string | null {
    if (this.open.length === 0) return null;
    return this.open.map((s) => s.expiresAt).sort()[0] ?? null;
  }

  stepDone(id: StepId): boolean {
    const plan = this.plan;
    switch (id) {
      case 'profile':
        return this.profile !== null;
      case 'check':
        return plan !== null && this.check?.snapshot !== null;
      case 'client':
      case 'server': {
        // Done when every change this step plans is in place — whether the step itself, a fix from
        // the Test step or the express path applied it — or when nothing was needed. A fix that did it
        // another way (e.g. the NTLM-only list) counts once the hop works.
        if (plan === null || plan.blockers.length > 0) return false;
        const planned = plan.changes.filter((c) => c.step === id);
        if (planned.every((c) => this.appliedKeys.includes(changeKey(c.change)))) return true;
        return this.test?.ok === true && this.applied[id] !== undefined;
      }
      case 'test':
        return this.test?.ok === true;
      case 'restore':
        return this.restore !== null && this.open.length === 0;
    }
  }

  /** Why a step cannot be opened yet, or null when it can. */
  lockedReason(id: StepId): string | null {
    switch (id) {
      case 'profile':
        return null;
      case 'check':
        return this.profile ? null : 'Choose a profile first';
      case 'client':
      case 'test':
      case 'restore':
        return this.check ? null : 'Run the check first';
      case 'server':
        if (!this.check) return 'Run the check first';
        return this.stepDone('client') ? null : 'Configure the client first';
    }
  }

  go(id: StepId): void {
    if (this.lockedReason(id) !== null) return;
    // A note from the express path belongs to the step it handed over to.
    if (id !== this.step) this.handover = null;
    this.view = 'wizard';
    this.step = id;
  }

  // ---- start-up -------------------------------------------------------------------------------

  async start(): Promise<void> {
    await Promise.all([this.loadEnv(), this.loadSettings(), this.loadProfiles()]);
    const status = await call((api) => api.hopStatus({}));
    if (status.ok) {
      this.practiceMode = status.data.practiceMode;
      this.open = status.data.open;
      this.startBanner = status.data.open.length > 0 ? status.data.open : null;
      this.restoredAtStart = status.data.restoredAtStart;
    }
  }

  async loadEnv(): Promise<Result<EnvReport>> {
    const result = await call((api) => api.envCheck({}));
    if (result.ok) {
      this.env = result.data;
      this.practiceMode = result.data.practiceMode;
      // The settings answer at once, before PowerShell has said its version: complete them now.
      if (this.settings && this.settings.practiceMode === result.data.practiceMode) this.settings = { ...this.settings, powershell: result.data.powershell };
    }
    return result;
  }

  async loadSettings(): Promise<void> {
    const result = await call((api) => api.settingsGet({}));
    if (result.ok) {
      this.settings = result.data;
      this.practiceMode = result.data.practiceMode;
    }
  }

  async loadProfiles(): Promise<void> {
    const result = await call((api) => api.profilesList({}));
    if (result.ok) {
      this.profiles = result.data.profiles;
      this.notices = result.data.notices;
      // The chosen profile was deleted (here, in another window or by the command line).
      if (this.profileId !== null && !result.data.profiles.some((p) => p.id === this.profileId)) {
        this.profileId = null;
        this.wildcard = null;
        this.ntlmOnlyConfirmed = false;
        this.resetFlow();
      }
      if (this.profileId === null && result.data.profiles.length === 1) this.profileId = result.data.profiles[0]!.id;
    }
  }

  async refreshStatus(): Promise<void> {
    const status = await call((api) => api.hopStatus({}));
    if (status.ok) {
      this.open = status.data.open;
      this.practiceMode = status.data.practiceMode;
    }
  }

  /** Forgets everything derived from the current check (a new profile or mode was chosen). */
  resetFlow(): void {
    this.check = null;
    this.checkError = null;
    this.applied = {};
    this.appliedKeys = [];
    this.express = 'idle';
    this.expressError = null;
    this.handover = null;
    this.test = null;
    this.restore = null;
    this.keptOn = false;
  }

  selectProfile(id: string): void {
    if (this.profileId === id) return;
    this.profileId = id;
    this.wildcard = null;
    this.ntlmOnlyConfirmed = false;
    this.resetFlow();
  }

  /** The chosen profile itself changed (edited, or replaced by an import): its check no longer fits. */
  profileChanged(id: string): void {
    if (this.profileId === id) this.resetFlow();
  }

  async saveSettings(patch: Parameters<ReturnType<typeof getApi>['settingsSave']>[0], label = 'Saving the settings'): Promise<Result<SettingsView>> {
    const wasPractice = this.practiceMode;
    const wasLab = this.settings?.effectiveLabFile;
    const result = await this.op.run('settings', label, () => getApi().settingsSave(patch), () => 'Settings saved.');
    if (result.ok) {
      this.settings = result.data;
      this.practiceMode = result.data.practiceMode;
      // Another mode, or another practice lab: the machines changed, so the last check no longer fits.
      if (wasPractice !== result.data.practiceMode || (result.data.practiceMode && wasLab !== result.data.effectiveLabFile)) {
        this.resetFlow();
        await Promise.all([this.loadEnv(), this.refreshStatus()]);
      }
    }
    return result;
  }

  // ---- the hop ----------------------------------------------------------------------------------

  async runCheck(): Promise<void> {
    const profile = this.profile;
    if (!profile) return;
    this.resetFlow();
    const wildcard = this.wildcard;
    const ntlm = this.ntlmOnlyConfirmed;
    const result = await this.op.run('check', `Checking ${profile.jumpServerConnectAs} and this computer`, (operationId) => getApi().hopCheck({ operationId, profileId: profile.id, ...(wildcard ? { wildcard: { spn: wildcard.spn, confirmed: wildcard.confirmed } } : {}), ...(ntlm ? { ntlmOnlyConfirmed: true } : {}) }), (d) =>
      d.plan ? 'Check complete.' : 'The check could not finish: see below.',
    );
    if (result.ok) this.check = result.data;
    else this.checkError = result.error;
  }

  /**
   * The check's own fix: the jump server (by address) added to TrustedHosts, so CredHop can read it.
   * Its warning covers the NTLM-only list too, so the check that follows plans with both confirmed.
   */
  async trustAndCheck(confirmWarning: boolean): Promise<AppErrorData | null> {
    const check = this.check;
    if (!check) return null;
    const fix = await this.op.run('check', 'Adding the jump server to TrustedHosts', (operationId) => getApi().hopFix({ operationId, checkId: check.checkId, confirmWarning }), () => 'Added; checking again.');
    await this.refreshStatus();
    if (!fix.ok) return fix.error;
    this.ntlmOnlyConfirmed = true;
    await this.runCheck();
    return null;
  }

  async apply(step: 'client' | 'server', timeboxMinutes?: number): Promise<Result<ApplyResponse>> {
    const check = this.check;
    if (!check) return { ok: false, error: { code: 'not-found', message: 'Run the check first.' } };
    const where = step === 'client' ? 'this computer' : (check.plan?.jumpServer ?? 'the jump server');
    const result = await this.op.run(step, `Applying the changes to ${where}`, (operationId) =>
      getApi().hopApply({ operationId, checkId: check.checkId, step, ...(timeboxMinutes ? { timeboxMinutes } : {}) }),
      (d) => (d.verified ? 'Done, and verified by reading the state back.' : { message: 'Done, but the state read back differs: see below.', level: 'warn' }),
    );
    if (result.ok) this.recordApplied(step, result.data);
    await this.refreshStatus();
    return result;
  }

  /** Keeps an apply's (or a fix's) answer for its step, and which changes are now in place. */
  recordApplied(step: 'client' | 'server', data: ApplyResponse): void {
    this.applied = { ...this.applied, [step]: data };
    const keys = data.applied.filter((a) => a.ok).map((a) => changeKey(a.change));
    this.appliedKeys = [...new Set([...this.appliedKeys, ...(data.verified ? keys : [])])];
  }

  async runTest(mode: 'credssp' | 'explicit' = 'credssp'): Promise<Result<TestResponse>> {
    const check = this.check;
    if (!check) return { ok: false, error: { code: 'not-found', message: 'Run the check first.' } };
    const result = await this.op.run('test', mode === 'credssp' ? 'Testing the hop with CredSSP' : 'Testing with explicit credentials', (operationId) =>
      getApi().hopTest({ operationId, checkId: check.checkId, mode }),
      (d) => (d.ok ? 'The test passed.' : { message: 'The test failed: see the diagnosis below.', level: 'warn' }),
    );
    if (result.ok) this.tested(this.profileId, result.data);
    return result;
  }

  async applyFix(confirmWarning: boolean): Promise<AppErrorData | null> {
    const check = this.check;
    if (!check) return null;
    const fix = await this.op.run('test', 'Applying the fix', (operationId) => getApi().hopFix({ operationId, checkId: check.checkId, confirmWarning }), () => 'Fix applied; testing again.');
    await this.refreshStatus();
    if (!fix.ok) return fix.error;
    const step = fix.data.applied[0]?.change.host === 'server' ? 'server' : 'client';
    this.recordApplied(step, fix.data);
    const again = await this.runTest(this.test?.mode === 'explicit' ? 'explicit' : 'credssp');
    return again.ok ? null : again.error;
  }

  async restoreNow(): Promise<AppErrorData | null> {
    const before = this.check;
    const result = await this.op.run('restore', 'Restoring both machines', (operationId) => getApi().hopRestore({ operationId }), (r) =>
      r.clean ? 'Everything is back as it was.' : 'Restore finished with differences: see below.',
    );
    if (!result.ok) return result.error;
    let after: CheckResponse | null = null;
    const profile = this.profile;
    if (profile) {
      const again = await this.op.run('restore', 'Reading both machines again', (operationId) => getApi().hopCheck({ operationId, profileId: profile.id, ...(this.wildcard ? { wildcard: { ...this.wildcard } } : {}), ...(this.ntlmOnlyConfirmed ? { ntlmOnlyConfirmed: true } : {}) }), () =>
        result.data.clean ? 'Everything is back as it was.' : 'Restore finished with differences: see below.',
      );
      if (again.ok) after = again.data;
    }
    this.restore = { report: result.data, before, after };
    this.applied = {};
    this.appliedKeys = [];
    this.express = 'idle';
    this.keptOn = false;
    if (after?.plan) this.check = after;
    await this.refreshStatus();
    return null;
  }

  /** Clean up now (top bar) and the start banner's restore: restores every open session. */
  async cleanUpNow(scope: 'cleanup' | 'banner' = 'cleanup'): Promise<void> {
    await this.refreshStatus();
    if (this.open.length === 0) {
      this.cleanupNotice = { message: 'Nothing to clean up: CredHop has no changes that are not restored.', level: 'info', details: [] };
      this.startBanner = null;
      return;
    }
    const result = await this.op.run(scope, 'Restoring every change CredHop made', (operationId) => getApi().hopRestore({ operationId }), (r) =>
      r.clean ? 'Everything is back as it was.' : 'Restore finished with differences.',
    );
    if (result.ok) {
      const r = result.data;
      this.cleanupNotice = r.clean
        ? { message: 'Cleaned up: everything is back as it was.', level: 'info', details: r.sessions.flatMap((s) => s.operations) }
        : { message: 'Restored, but some settings still differ from how they were:', level: 'warn', details: r.sessions.flatMap((s) => s.differences) };
      this.startBanner = null;
      this.applied = {};
      this.appliedKeys = [];
      this.express = 'idle';
      this.test = null;
      this.keptOn = false;
    } else {
      this.cleanupNotice = { message: result.error.message, level: 'error', details: result.error.hint ? [result.error.hint] : [] };
    }
    await this.refreshStatus();
  }

  // ---- the express path ---------------------------------------------------------------------------

  /** What makes the checked plan unusual, so the express path hands over to the step that explains it. */
  expressStop(check: CheckResponse): { step: StepId; reason: string } | null {
    const plan = check.plan;
    if (!plan || !check.snapshot) {
      return { step: 'check', reason: check.diagnosis ? `Express stopped: ${check.diagnosis.cause}. Nothing was changed; the diagnosis below says what to do.` : 'Express stopped: the check could not finish. Nothing was changed.' };
    }
    if (plan.blockers.length > 0) return { step: 'check', reason: `Express stopped: ${plan.blockers[0]!.message} Nothing was changed; see below how to resolve it.` };
    if (plan.spn.includes('*')) return { step: 'check', reason: 'Express stopped: this plan uses a wildcard entry, which needs its own confirmation here. Nothing was changed.' };
    if (plan.changes.some((c) => c.change.kind === 'add-delegation' && c.change.list === 'freshNtlm')) {
      return { step: 'check', reason: 'Express stopped: this plan uses the NTLM-only list, which needs its own confirmation. Nothing was changed.' };
    }
    return null;
  }

  /** Express, first activation: check both machines and show the plan in one view (or hand over). */
  async expressCheck(): Promise<void> {
    const profile = this.profile;
    if (!profile || this.op.running) return;
    this.resetFlow();
    if (this.wildcard) {
      // A wildcard opt-in is confirmed on the Check step, never in one go.
      const spn = this.wildcard.spn;
      this.go('check');
      this.handover = `Express stopped: you chose the wildcard entry ${spn}, which is checked and confirmed here, step by step. Nothing was changed.`;
      return;
    }
    this.express = 'checking';
    const result = await this.op.run('express', `Checking ${profile.jumpServerConnectAs} and this computer`, (operationId) => getApi().hopCheck({ operationId, profileId: profile.id }), (d) =>
      d.plan ? 'Check complete.' : 'The check could not finish.',
    );
    if (!result.ok) {
      this.express = 'idle';
      this.expressError = result.error;
      return;
    }
    this.check = result.data;
    const stop = this.expressStop(result.data);
    if (stop) {
      this.express = 'idle';
      this.go(stop.step);
      this.handover = stop.reason;
      return;
    }
    this.express = 'review';
  }

  /**
   * Express, the one confirmation: apply the client's and the server's changes (each verified by
   * reading it back), then test the hop. One operation id for the whole run, so Cancel stops whichever
   * call is running and no later one starts. A failed test hands over to the Test step's diagnosis.
   */
  async expressApply(): Promise<void> {
    const check = this.check;
    const plan = check?.plan;
    if (!check || !plan || this.express !== 'review' || this.op.running) return;
    this.express = 'applying';
    this.expressError = null;
    const steps = (['client', 'server'] as const).filter((s) => plan.changes.some((c) => c.step === s));
    const total = steps.length + 1;
    const stopped: { at: 'client' | 'server' | null; unverified: boolean } = { at: null, unverified: false };
    const result = await this.op.run('express', 'Applying and testing', async (operationId): Promise<Result<TestResponse>> => {
      for (const [i, step] of steps.entries()) {
        if (this.op.cancelling) return { ok: false, error: { code: 'cancelled', message: 'Stopped before the next step.' } };
        this.op.message = step === 'client' ? `Step ${i + 1} of ${total}: configuring this computer` : `Step ${i + 1} of ${total}: configuring ${plan.jumpServer}`;
        this.op.fraction = i / total;
        const applied = await getApi().hopApply({ operationId, checkId: check.checkId, step });
        if (!applied.ok) {
          stopped.at = step;
          return { ok: false, error: applied.error };
        }
        this.recordApplied(step, applied.data);
        if (!applied.data.verified) {
          stopped.unverified = true;
          stopped.at = step;
          return { ok: false, error: { code: 'powershell-failed', message: `The change on ${step === 'client' ? 'this computer' : plan.jumpServer} was made, but reading it back shows something different.`, hint: 'The configure step shows the state read back. Clean up now puts everything back.' } };
        }
      }
      if (this.op.cancelling) return { ok: false, error: { code: 'cancelled', message: 'Stopped before the test.' } };
      this.op.message = `Step ${total} of ${total}: testing the hop to ${plan.target}`;
      this.op.fraction = steps.length / total;
      return getApi().hopTest({ operationId, checkId: check.checkId, mode: 'credssp' });
    }, (d) => (d.ok ? 'The hop works.' : { message: 'The test failed.', level: 'warn' }));
    await this.refreshStatus();
    if (result.ok) {
      this.tested(this.profileId, result.data);
      if (result.data.ok) {
        this.express = 'done';
        return;
      }
      this.express = 'idle';
      this.go('test');
      this.handover = `Express stopped: the changes are applied and verified, but the hop test failed${result.data.diagnosis ? ` (${result.data.diagnosis.cause})` : ''}. The diagnosis below says what to do; Clean up now puts everything back.`;
      return;
    }
    this.expressError = result.error;
    this.express = 'review';
    if (stopped.unverified && stopped.at !== null) {
      this.express = 'idle';
      this.go(stopped.at);
      this.handover = `Express stopped: ${result.error.message}`;
    }
  }

  /** Keeps a test's answer, and when the hop was verified for the profile it was run for. */
  private tested(profileId: string | null, data: TestResponse): void {
    this.test = data;
    if (data.ok && profileId) this.verifiedAt = { ...this.verifiedAt, [profileId]: new Date().toISOString() };
  }

  /** Leaves the express view for the step-by-step wizard, keeping what was checked. */
  expressToWizard(step: StepId = 'check'): void {
    this.express = 'idle';
    this.go(step);
  }

  async exportRunbook(): Promise<Result<unknown>> {
    const check = this.check;
    if (!check) return { ok: false, error: { code: 'not-found', message: 'Run the check first.' } };
    const result = await call((api) => api.hopRunbook({ checkId: check.checkId }));
    if (result.ok) downloadText(result.data.suggestedFileName, result.data.content);
    return result;
  }

  async exportAudit(): Promise<Result<unknown>> {
    const result = await call((api) => api.auditExport({}));
    if (result.ok) downloadText(result.data.suggestedFileName, result.data.content, 'application/jsonl');
    return result;
  }
}

export const wizard = new Wizard();
