// The composition root of main, free of Electron: the bootstrap, the CLI and the tests all build the
// same services and handlers from here.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { EnvReport } from '../shared/contract/env';
import { checkEnvironment } from './env/check';
import { createEnvHandlers } from './env/handlers';
import { DiagnosticLog } from './log';
import { createProfileServices, type ProfileServices } from './profiles/handlers';
import type { HopEngine, RestoreReport } from './hop/engine';
import { createHopHandlers } from './hop/handlers';
import { ExpiryWatcher } from './hop/timebox';
import { safetyNetArmed } from './hop/safety-net';
import { PRACTICE_PASSWORD, SHIPPED_LABS, shippedLabFile } from './hop/practice';
import { createHopEngine, hopDataDir } from './hop/service';
import type { Handlers } from './ipc/handler';
import { appLayout, practiceEstate, type AppLayout } from './paths';
import { PowerShellEngine } from './powershell/engine';
import { choosePowerShell, type ResolvedPowerShell, type SkippedPowerShell } from './powershell/resolve';
import { checkFolder, readWindowsFolders, type WindowsFolders } from './powershell/windows-folders';
import type { ShellEvent } from './powershell/shell';
import { createSettingsHandlers } from './settings/handlers';
import { createScanHandlers } from './scan/handlers';
import { SettingsStore } from './settings/store';
import { CloseGuard } from './window/close-guard';

export interface MainOptions {
  dataDir: string;
  /** Folder holding resources/ and tests/lab (source tree) or powershell/ and lab/ (packaged). */
  root: string;
  packaged?: boolean;
  /**
   * Practice mode: run against the lab instead of real machines. `false` forces real machines; left
   * out, the saved setting (settings.json in the data folder) decides.
   */
  practice?: { labFile?: string | undefined; reset?: boolean; /** Folder name of the lab state in the practice data folder (default lab-state). */ stateDirName?: string } | false;
  configuredPowerShell?: string | undefined;
  platform?: NodeJS.Platform;
  /** Windows: the folders as Windows reports them (read from Windows itself when left out). */
  windowsFolders?: WindowsFolders;
  env?: Record<string, string | undefined>;
  onShellEvent?: (event: ShellEvent) => void;
}

export interface MainServices {
  layout: AppLayout;
  dataDir: string;
  /** The diagnostic log (fixed fields only, never a secret). */
  log: DiagnosticLog;
  powershell: ResolvedPowerShell | null;
  /** PowerShells found but passed over, and why (doctor shows them). */
  powershellSkipped: SkippedPowerShell[];
  /** Whether practice mode is on now (it can be switched at runtime from the settings). */
  readonly practiceMode: boolean;
  settings: SettingsStore;
  engine(): PowerShellEngine | null;
  /** The hop engine; null when no PowerShell was found. */
  hop(): HopEngine | null;
  handlers: Handlers;
  profiles: ProfileServices;
  /** Asks before CredHop closes with changes open; the bootstrap connects it to the window and the app. */
  closeGuard: CloseGuard;
  /**
   * Starts PowerShell in the background (the process, CredHop's module, the practice lab), so the first
   * check does not wait for it. Never rejects; channels that need no PowerShell never wait for it.
   */
  warmUp(): Promise<void>;
  /** Restores what expired while CredHop was closed, then arms the time box. */
  startTimebox(onRestored?: (report: RestoreReport, reason: 'start' | 'expiry') => void): Promise<RestoreReport | null>;
  dispose(): Promise<void>;
}

/**
 * Each practice lab keeps its own state, so choosing another lab (the managed workstation) really runs on
 * it, and going back finds the first lab as it was left. The shipped article lab keeps the plain folder.
 */
export function labStateDir(practiceDir: string, labFile: string, defaultLabFile: string): string {
  const file = resolve(labFile);
  if (file === resolve(defaultLabFile)) return join(practiceDir, 'lab-state');
  return join(practiceDir, `lab-state-${createHash('sha256').update(file, 'utf8').digest('hex').slice(0, 16)}`);
}

export function createMainServices(options: MainOptions): MainServices {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const layout = appLayout(options.root, options.packaged ?? false);
  // On Windows CredHop runs elevated: the PowerShell it starts is chosen from Windows' own folders only.
  const windows = platform === 'win32' ? (options.windowsFolders ?? (process.platform === 'win32' ? readWindowsFolders() : undefined)) : undefined;
  const system32 = windows?.system32;
  const choice = choosePowerShell({
    platform,
    env,
    appRoot: layout.appRoot,
    configured: options.configuredPowerShell,
    windows,
    folderCheck: system32 && process.platform === 'win32' ? (folder) => checkFolder(system32, folder) : undefined,
  });
  const powershell = choice.chosen;
  const settings = new SettingsStore(options.dataDir);
  const log = new DiagnosticLog(options.dataDir);
  const labFileFor = (saved: string | null): string => saved ?? layout.defaultLabFile;
  const practiceLab = (labFile: string, reset: boolean) => ({
    modulePath: layout.labModulePath,
    labFile,
    // The practice estate (scan) keeps its own state: it must never reset the practice lab's.
    stateDir: options.practice && options.practice.stateDirName ? join(hopDataDir(options.dataDir, true), options.practice.stateDirName) : labStateDir(hopDataDir(options.dataDir, true), labFile, layout.defaultLabFile),
    reset,
  });
  const saved = settings.get();
  let practice = options.practice
    ? practiceLab(options.practice.labFile ?? labFileFor(saved.practiceLabFile), options.practice.reset ?? false)
    : options.practice === undefined && saved.practiceMode
      ? practiceLab(labFileFor(saved.practiceLabFile), false)
      : undefined;

  let engine: PowerShellEngine | null = null;
  let hop: HopEngine | null = null;
  const getEngine = (): PowerShellEngine | null => {
    if (!powershell) return null;
    engine ??= new PowerShellEngine({
      powershell,
      cwd: layout.appRoot,
      modulePath: layout.modulePath,
      practice,
      onEvent: (event) => {
        // Every start, unexpected exit, timeout and cancellation of PowerShell is reported in the log.
        log.write(event.kind === 'started' ? { event: 'shell-started', count: event.count }
          : event.kind === 'exited' ? { event: 'shell-exited', code: event.code, signal: event.signal, expected: event.expected }
          : event.kind === 'timeout' ? { event: 'shell-timeout', timeoutMs: event.timeoutMs }
          : { event: 'shell-cancelled' });
        options.onShellEvent?.(event);
      },
    });
    return engine;
  };

  // Scans in practice mode read the practice estate, in a PowerShell of their own (its lab state apart
  // from the practice lab's, reset when it starts); in real mode they use the app's engine.
  let estateEngine: PowerShellEngine | null = null;
  const scanEngine = (): PowerShellEngine | null => {
    if (!powershell) return null;
    if (practice === undefined) return getEngine();
    estateEngine ??= new PowerShellEngine({
      powershell,
      cwd: layout.appRoot,
      modulePath: layout.modulePath,
      practice: { modulePath: layout.labModulePath, labFile: practiceEstate(layout).labFile, stateDir: join(hopDataDir(options.dataDir, true), 'estate-state'), reset: true },
    });
    return estateEngine;
  };

  const profiles = createProfileServices({ dataDir: options.dataDir });
  const getHop = (): HopEngine | null => {
    const ps = getEngine();
    if (!ps) return null;
    hop ??= createHopEngine({ ps, dataDir: options.dataDir, practice: practice !== undefined, practiceLab: practice?.labFile, auditRetentionDays: () => settings.get().auditRetentionDays });
    return hop;
  };
  let restoredAtStart: RestoreReport | null = null;
  let watcherListener: ((report: RestoreReport, reason: 'start' | 'expiry') => void) | undefined;
  const watcher = new ExpiryWatcher({
    hop: getHop,
    credentialFor: async (begin) => {
      const password = await profiles.vault.getSecret(begin.profileId, 'jump').catch(() => null);
      if (password) return { userName: begin.account, password };
      return practice ? { userName: begin.account, password: PRACTICE_PASSWORD } : null;
    },
    onRestored: (report, reason) => watcherListener?.(report, reason),
  });
  const hopHandlers = () =>
    createHopHandlers({
      hop: getHop,
      audit: () => getHop()?.audit ?? null,
      practiceMode: () => practice !== undefined,
      profiles: profiles.store,
      vault: profiles.vault,
      restoredAtStart: () => restoredAtStart,
      changed: () => watcher.reschedule(),
      console: { platform, env },
    });
  // The environment report names the mode, which can change at runtime: built per call.
  const envDeps = () => ({
    platform,
    dataDir: options.dataDir,
    practiceMode: practice !== undefined,
    powershell,
    powershellSkipped: choice.skipped,
    configuredPowerShell: options.configuredPowerShell,
    engine: getEngine,
  });
  // The environment report needs PowerShell's own answer (its version). The last one is kept, so the
  // settings screen answers at once; until PowerShell has answered it says what was found and that it
  // is starting.
  let lastEnv: EnvReport | null = null;
  const environment = async (): Promise<EnvReport> => {
    const report = await checkEnvironment(envDeps());
    lastEnv = report;
    return report;
  };
  const environmentNow = (): Promise<EnvReport> => {
    const practiceMode = practice !== undefined;
    if (lastEnv && lastEnv.practiceMode === practiceMode) return Promise.resolve(lastEnv);
    if (!powershell) return environment(); // nothing to start: answers at once
    const name = powershell.kind === 'pwsh' ? 'PowerShell' : 'Windows PowerShell';
    return Promise.resolve({
      platform,
      practiceMode,
      dataDir: options.dataDir,
      powershell: { found: true, path: powershell.path, summary: `${name} was found at ${powershell.path}; CredHop is starting it.` },
    });
  };

  // One warm-up per engine: the environment check's constant version command makes the shell start and
  // run its bootstrap (CredHop's module, the practice lab).
  let warming: Promise<void> | null = null;
  let warmedEngine: PowerShellEngine | null = null;
  const warmUp = (): Promise<void> => {
    const ps = getEngine();
    if (!ps) return Promise.resolve();
    if (warming && warmedEngine === ps) return warming;
    warmedEngine = ps;
    // Then the check's local read, once, read-only and with constant (empty) payloads: PowerShell
    // compiles the module's code on first use, which would otherwise slow the first check. Nothing
    // remote: no connection is made before the operator asks for one.
    // A failed start is reported again, in plain words, by the first call that needs PowerShell.
    warming = environment()
      .then(async (report) => {
        if (!report.powershell.found) return;
        await ps.call('GetCheckState', {}, z.unknown());
      })
      .then(() => undefined, () => undefined);
    return warming;
  };

  const closeGuard = new CloseGuard({
    openSessions: () => getHop()?.openSessions() ?? [],
    // "Keep" promises the scheduled restore only when the journal shows it armed on every changed machine.
    scheduledRestore: (open) => safetyNetArmed(open),
    restore: (ctx) => handlers.hopRestore({}, ctx),
  });

  const handlers: Handlers = {
    appQuitAnswer: (request, ctx) => closeGuard.answer(request.choice, ctx),
    ...profiles.handlers,
    ...hopHandlers(),
    ...createScanHandlers({ engine: scanEngine, hop: getHop, practiceMode: () => practice !== undefined, practiceNamesFile: practiceEstate(layout).namesFile }),
    envCheck: async (request, ctx) => {
      const report = await createEnvHandlers(envDeps()).envCheck(request, ctx);
      lastEnv = report;
      return report;
    },
    ...createSettingsHandlers({
      store: settings,
      practiceMode: () => practice !== undefined,
      labFileFor,
      practiceLabs: () => SHIPPED_LABS.map((l) => ({ ...l, file: shippedLabFile(layout, l.id) })),
      environment: environmentNow,
      // Sessions of another practice lab do not hold the switch: switching to their lab is how they are restored.
      openSessions: () => getHop()?.restorableSessions().length ?? 0,
      switchMode: async (next) => {
        // Switching practice mode: a new PowerShell (with or without the lab) and a new hop engine
        // over the mode's own journal. Checks made in the other mode are dropped with the old handlers.
        watcher.stop();
        const old = engine;
        engine = null;
        hop = null;
        practice = next ? practiceLab(next.labFile, false) : undefined;
        restoredAtStart = null;
        Object.assign(handlers, hopHandlers());
        await old?.dispose();
        watcher.reschedule();
        void warmUp();
      },
    }),
  };

  return {
    log,
    layout,
    dataDir: options.dataDir,
    powershell,
    powershellSkipped: choice.skipped,
    get practiceMode() {
      return practice !== undefined;
    },
    settings,
    engine: getEngine,
    hop: getHop,
    handlers,
    profiles,
    closeGuard,
    warmUp,
    async startTimebox(onRestored) {
      watcherListener = onRestored;
      // Another CredHop holding the lock is compacting or changing machines itself: skip, never block start.
      await getHop()?.tidyJournal().catch(() => undefined);
      restoredAtStart = await watcher.start();
      return restoredAtStart;
    },
    async dispose() {
      watcher.stop();
      await engine?.dispose();
      await estateEngine?.dispose();
    },
  };
}
