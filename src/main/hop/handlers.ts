// The hop's IPC handlers. Main keeps each check (snapshot + plan) under a checkId; the renderer picks
// a step, never supplies a change. Passwords come from the vault (set by secretSet), never a request.
import { randomUUID } from 'node:crypto';
import type { Diagnosis, HostState, Plan, Snapshot } from '../../shared/domain/hop';
import type { HopProfile } from '../../shared/domain/profile';
import { AppError } from '../errors';
import type { HandlerContext, HandlerGroup } from '../ipc/handler';
import type { ProfileStore } from '../profiles/store';
import type { Vault } from '../vault/vault';
import type { AuditLog } from './audit';
import type { Credential, HopEngine, HopTarget, RestoreReport, RunControl, TestResult } from './engine';
import type { BeginRecord } from './journal';
import { nextFreeValueName, powershellFor, titleFor } from './plan';
import { PRACTICE_PASSWORD } from './practice';
import { runbook } from './runbook';
import { openConsole, type ConsoleDeps } from './console';

export type HopChannel = 'hopCancel' | 'hopStatus' | 'hopCheck' | 'hopApply' | 'hopTest' | 'hopFix' | 'hopRestore' | 'hopRunbook' | 'hopOpenConsole' | 'auditExport';

export interface HopHandlerDeps {
  hop: () => HopEngine | null;
  audit: () => AuditLog | null;
  practiceMode: () => boolean;
  profiles: ProfileStore;
  vault: Vault;
  /** What the time box restored at start, shown once by the wizard's banner. */
  restoredAtStart: () => RestoreReport | null;
  /** Called after every apply or restore, so the time box re-arms. */
  changed?: () => void;
  now?: () => Date;
  /** How "Open a session on the jump server" starts a console (platform, spawn); practice mode comes from practiceMode. */
  console?: Omit<ConsoleDeps, 'practiceMode'>;
}

interface Flow {
  profile: HopProfile;
  target: HopTarget;
  snapshot: Snapshot;
  plan: Plan;
  session?: string;
  expiresAt?: string;
  lastDiagnosis?: Diagnosis;
  serverCredSSP?: boolean | null;
}

/** A check that stopped at this computer: the jump server must be in TrustedHosts before it can be read. */
interface PendingTrust {
  profile: HopProfile;
  target: HopTarget;
  client: HostState;
  diagnosis: Diagnosis;
}

function targetOf(profile: HopProfile): HopTarget {
  return {
    profileId: profile.id,
    profileName: profile.name,
    jumpServer: profile.jumpServerConnectAs,
    target: profile.target,
    account: profile.jumpAccount,
    targetAccount: profile.targetAccount ?? undefined,
    probe: profile.probeCommand,
  };
}

function testOutput(result: TestResult) {
  return {
    ok: result.ok,
    mode: result.mode,
    output: result.output.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))),
    errors: result.errors,
    ...(result.diagnosis ? { diagnosis: result.diagnosis } : {}),
  };
}

/**
 * How many checks main keeps. The wizard works on the latest one; a few more cover a second window or
 * a step clicked just as a new check finished. Without a bound every check of a day (snapshot, plan,
 * profile) would stay in memory until the app is closed.
 */
export const KEPT_CHECKS = 16;

/** Drops the oldest entries of an insertion-ordered map beyond `max`. */
export function keepNewest<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

export function createHopHandlers(deps: HopHandlerDeps): HandlerGroup<HopChannel> {
  const flows = new Map<string, Flow>();
  const pending = new Map<string, PendingTrust>();
  const now = deps.now ?? (() => new Date());

  const engine = (): HopEngine => {
    const hop = deps.hop();
    if (!hop) throw new AppError('powershell-unavailable', 'CredHop found no PowerShell to run.', 'See the Check step for what to install.');
    return hop;
  };
  const flowOf = (checkId: string): Flow => {
    const flow = flows.get(checkId);
    if (!flow) throw new AppError('not-found', 'That check is no longer current.', 'Run the check again.');
    return flow;
  };
  const profileOf = async (id: string): Promise<HopProfile> => {
    const profile = (await deps.profiles.list()).find((p) => p.id === id);
    if (!profile) throw new AppError('not-found', 'That profile no longer exists.', 'Choose another profile.');
    return profile;
  };
  const credential = async (profileId: string, role: 'jump' | 'target', userName: string | null, lenient = false): Promise<Credential | null> => {
    if (!userName) return null;
    // A keychain that cannot be reached must not block a restore (client-side changes need no password)
    // nor practice mode (the lab has its own password); elsewhere its error tells the user what to do.
    const password = lenient || deps.practiceMode()
      ? await deps.vault.getSecret(profileId, role).catch(() => null)
      : await deps.vault.getSecret(profileId, role);
    if (password) return { userName, password };
    return deps.practiceMode() ? { userName, password: PRACTICE_PASSWORD } : null;
  };
  const jumpCredential = (flow: Flow) => credential(flow.profile.id, 'jump', flow.profile.jumpAccount);
  const sessionCredential = (begin: BeginRecord) => credential(begin.profileId, 'jump', begin.account, true);

  // Operations in progress, by the operationId the renderer chose, so hopCancel can stop one.
  const running = new Map<string, AbortController>();
  const controlled = async <T>(ctx: HandlerContext, work: (control: RunControl) => Promise<T>): Promise<T> => {
    const abort = new AbortController();
    running.set(ctx.operationId, abort);
    try {
      return await work({ signal: abort.signal, progress: (m, f) => ctx.progress(m, f === undefined ? undefined : { fraction: f }) });
    } finally {
      running.delete(ctx.operationId);
    }
  };

  const applyPlan = async (flow: Flow, plan: Plan, step: 'client' | 'server', timebox: number, control: RunControl) => {
    const hop = engine();
    flow.session ??= hop.beginSession(flow.target, flow.snapshot, timebox);
    flow.expiresAt ??= new Date(now().getTime() + timebox * 60_000).toISOString();
    const creds = await jumpCredential(flow);
    const result = await hop.apply(step, flow.target, plan, flow.session, creds, control);
    if (result.server) flow.serverCredSSP = result.server.serviceCredSSP;
    deps.changed?.();
    const begin = hop.openSessions().find((s) => s.begin.session === flow.session)?.begin;
    return { session: result.session, expiresAt: begin?.expiresAt ?? flow.expiresAt, applied: result.applied, verified: result.verified, client: result.client, server: result.server, safetyNet: result.safetyNet };
  };

  return {
    hopStatus: async () => {
      const hop = deps.hop();
      const open = hop ? hop.openSessions() : [];
      return {
        practiceMode: deps.practiceMode(),
        open: open.map((s) => ({
          session: s.begin.session,
          profileId: s.begin.profileId,
          profileName: s.begin.profileName,
          jumpServer: s.begin.jumpServer,
          target: s.begin.target,
          startedAt: s.begin.at,
          expiresAt: s.begin.expiresAt,
          practice: s.begin.practice,
          changes: s.intents.map((i) => i.change),
        })),
        restoredAtStart: deps.restoredAtStart(),
      };
    },

    hopCheck: async (request, ctx) => {
      const profile = await profileOf(request.profileId);
      const target = targetOf(profile);
      const creds = await credential(profile.id, 'jump', profile.jumpAccount);
      const result = await controlled(ctx, (control) =>
        engine().check(target, creds, { ...(request.wildcard ? { wildcard: request.wildcard } : {}), ntlmOnlyConfirmed: request.ntlmOnlyConfirmed ?? false, ...control }),
      );
      const checkId = randomUUID();
      if (result.snapshot && result.plan) {
        flows.set(checkId, { profile, target, snapshot: result.snapshot, plan: result.plan, serverCredSSP: result.snapshot.server.serviceCredSSP });
        keepNewest(flows, KEPT_CHECKS);
      } else if (result.client && result.diagnosis?.fixable && result.diagnosis.fixChange?.kind === 'trusted-hosts') {
        pending.set(checkId, { profile, target, client: result.client, diagnosis: result.diagnosis });
        keepNewest(pending, KEPT_CHECKS);
      }
      return { checkId, snapshot: result.snapshot, plan: result.plan, credSSPView: result.credSSPView, ...(result.diagnosis ? { diagnosis: result.diagnosis } : {}) };
    },

    hopApply: async (request, ctx) => {
      const flow = flowOf(request.checkId);
      return controlled(ctx, (control) => applyPlan(flow, flow.plan, request.step, request.timeboxMinutes ?? flow.profile.timeBoxMinutes, control));
    },

    hopTest: async (request, ctx) => {
      const flow = flowOf(request.checkId);
      const creds = await jumpCredential(flow);
      if (request.mode !== 'kerberos' && !creds) {
        throw new AppError('refused', 'CredHop needs the password of the jump server account for this test.', 'Enter it in the profile step (it can be kept for this run only).');
      }
      const targetCreds = flow.profile.targetAccount ? await credential(flow.profile.id, 'target', flow.profile.targetAccount) : null;
      const result = await controlled(ctx, (control) => engine().test(flow.target, creds, request.mode, { ...control, targetCredential: targetCreds, serverCredSSP: flow.serverCredSSP }));
      if (result.diagnosis) flow.lastDiagnosis = result.diagnosis;
      else delete flow.lastDiagnosis;
      return testOutput(result);
    },

    hopFix: async (request, ctx) => {
      const trust = flows.has(request.checkId) ? undefined : pending.get(request.checkId);
      if (trust) {
        // The check's own fix (see HopEngine.trustJumpServer): its own session, then the wizard checks again.
        if (trust.diagnosis.warning && !request.confirmWarning) throw new AppError('refused', trust.diagnosis.warning, 'Confirm the warning to apply this fix.');
        const hop = engine();
        const result = await controlled(ctx, (control) => hop.trustJumpServer(trust.target, trust.client, trust.profile.timeBoxMinutes, control));
        pending.delete(request.checkId);
        deps.changed?.();
        const begin = hop.openSessions().find((s) => s.begin.session === result.session)?.begin;
        return { session: result.session, expiresAt: begin?.expiresAt ?? new Date(now().getTime() + trust.profile.timeBoxMinutes * 60_000).toISOString(), applied: result.applied, verified: result.verified, client: result.client, server: null, safetyNet: result.safetyNet };
      }
      const flow = flowOf(request.checkId);
      const d = flow.lastDiagnosis;
      if (!d || !d.fixable || !d.fixChange) throw new AppError('refused', 'There is no fix CredHop can apply for the last test.', 'Follow the fix described with the diagnosis.');
      if (d.warning && !request.confirmWarning) throw new AppError('refused', d.warning, 'Confirm the warning to apply this fix.');
      const change = d.fixChange;
      const step = change.host === 'client' ? 'client' : 'server';
      const plan: Plan = { ...flow.plan, blockers: [], changes: [{ id: `fix-${d.id}`, step, change, title: titleFor(change, flow.target.jumpServer), powershell: powershellFor(change, flow.target.jumpServer, change.kind === 'add-delegation' ? nextFreeValueName(flow.snapshot.client.delegation[change.list]) : undefined) }] };
      if (flow.plan.blockers.some((b) => b.code === 'not-elevated')) throw new AppError('refused', flow.plan.blockers[0]!.message, flow.plan.blockers[0]!.resolution);
      const result = await controlled(ctx, (control) => applyPlan(flow, plan, step, flow.profile.timeBoxMinutes, control));
      delete flow.lastDiagnosis;
      return result;
    },

    hopRestore: async (_request, ctx) => {
      const hop = engine();
      const creds = new Map<string, Credential | null>();
      for (const s of hop.openSessions()) creds.set(s.begin.session, await sessionCredential(s.begin));
      const report = await controlled(ctx, (control) => hop.restoreAll((b) => creds.get(b.session) ?? null, 'user', control));
      for (const flow of flows.values()) {
        delete flow.session;
        delete flow.expiresAt;
      }
      deps.changed?.();
      return report;
    },

    hopCancel: async (request) => {
      const abort = running.get(request.operationId);
      abort?.abort();
      return { cancelled: abort !== undefined };
    },

    hopRunbook: async (request) => {
      const flow = flowOf(request.checkId);
      const stamp = now().toISOString();
      const safeName = flow.profile.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'profile';
      return { content: runbook(flow.plan, flow.snapshot, stamp, { account: flow.profile.jumpAccount }), suggestedFileName: `CredHop-${safeName}.ps1` };
    },

    hopOpenConsole: async (request) => {
      const flow = flowOf(request.checkId);
      return openConsole(
        { jumpServer: flow.target.jumpServer, account: flow.profile.jumpAccount },
        { platform: process.platform, ...deps.console, practiceMode: deps.practiceMode() },
      );
    },

    auditExport: async () => {
      const audit = deps.audit();
      return { content: audit ? audit.export() : '', suggestedFileName: `CredHop-audit-${now().toISOString().slice(0, 10)}.jsonl` };
    },
  };
}
