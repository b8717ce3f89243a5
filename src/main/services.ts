// The composition root of main, free of Electron: the bootstrap, the CLI and the tests all build the
// same services and handlers from here.
import { join } from 'node:path';
import { createEnvHandlers } from './env/handlers';
import { createProfileServices, type ProfileServices } from './profiles/handlers';
import type { HopEngine } from './hop/engine';
import { createHopEngine, hopDataDir } from './hop/service';
import type { Handlers } from './ipc/handler';
import { appLayout, type AppLayout } from './paths';
import { PowerShellEngine } from './powershell/engine';
import { resolvePowerShell, type ResolvedPowerShell } from './powershell/resolve';
import type { ShellEvent } from './powershell/shell';

export interface MainOptions {
  dataDir: string;
  /** Folder holding resources/ and tests/lab (source tree) or powershell/ and lab/ (packaged). */
  root: string;
  packaged?: boolean;
  /** Practice mode: run against the lab instead of real machines. */
  practice?: { labFile?: string | undefined; reset?: boolean } | false;
  configuredPowerShell?: string | undefined;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  onShellEvent?: (event: ShellEvent) => void;
}

export interface MainServices {
  layout: AppLayout;
  dataDir: string;
  powershell: ResolvedPowerShell | null;
  practiceMode: boolean;
  engine(): PowerShellEngine | null;
  /** The hop engine; null when no PowerShell was found. */
  hop(): HopEngine | null;
  handlers: Handlers;
  profiles: ProfileServices;
  dispose(): Promise<void>;
}

export function createMainServices(options: MainOptions): MainServices {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const layout = appLayout(options.root, options.packaged ?? false);
  const powershell = resolvePowerShell({ platform, env, appRoot: layout.appRoot, configured: options.configuredPowerShell });
  const practice = options.practice
    ? {
        modulePath: layout.labModulePath,
        labFile: options.practice.labFile ?? layout.defaultLabFile,
        stateDir: join(hopDataDir(options.dataDir, true), 'lab-state'),
        reset: options.practice.reset ?? false,
      }
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
      onEvent: options.onShellEvent,
    });
    return engine;
  };

  const profiles = createProfileServices({ dataDir: options.dataDir });
  const handlers: Handlers = {
    ...profiles.handlers,
    ...createEnvHandlers({
      platform,
      dataDir: options.dataDir,
      practiceMode: practice !== undefined,
      powershell,
      configuredPowerShell: options.configuredPowerShell,
      engine: getEngine,
    }),
  };

  return {
    layout,
    dataDir: options.dataDir,
    powershell,
    practiceMode: practice !== undefined,
    engine: getEngine,
    hop() {
      const ps = getEngine();
      if (!ps) return null;
      hop ??= createHopEngine({ ps, dataDir: options.dataDir, practice: practice !== undefined });
      return hop;
    },
    handlers,
    profiles,
    async dispose() {
      await engine?.dispose();
    },
  };
}
