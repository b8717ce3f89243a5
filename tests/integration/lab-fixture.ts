// A practice-mode CredHop over real pwsh and the lab, in a temporary data folder, plus a driver for
// the lab itself (its state, faults and Group Policy refresh) for the tests' own checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { z } from 'zod';
import type { Credential, HopEngine, HopTarget } from '../../src/main/hop/engine';
import { createMainServices, type MainServices } from '../../src/main/services';
import { articleLab, type LabFile } from '../support/labs';
import { requirePwsh } from './pwsh-path';

export const ARTICLE: HopTarget = {
  profileId: '00000000-0000-4000-8000-000000000001',
  profileName: 'Article lab',
  jumpServer: 'adfs1.company.pri',
  target: 'mem2.company.pri',
  account: 'COMPANY\\Administrator',
};
export const CANARY = 'Canary-P@ss-7f3c1e9a-$(Remove-Item)-\'"`;';
export const CRED: Credential = { userName: 'COMPANY\\Administrator', password: CANARY };

export { articleLab, type LabFile };

export interface LabRun {
  dir: string;
  labFile: string;
  services: MainServices;
  hop: HopEngine;
  /** A new app process over the same data folder and lab state (as after a crash and restart). */
  restart(): LabRun;
  state(): Promise<LabStateView>;
  gpupdate(host: string): Promise<void>;
  fault(fault: Record<string, unknown>): Promise<void>;
  setHost(host: string, set: Record<string, unknown>): Promise<void>;
  /** Moves a host's clock forward (seconds) and runs the scheduled tasks that became due. */
  moveClock(host: string, by: number): Promise<{ ran: { taskName: string; result: number; output: string[] }[] }>;
  /** Switches a host off (its due tasks are missed) or on (missed StartWhenAvailable tasks run). */
  power(host: string, on: boolean): Promise<{ ran?: { taskName: string; result: number; output: string[] }[] }>;
  dispose(): Promise<void>;
}

const labView = z.object({
  counters: z.object({ processes: z.number(), connections: z.record(z.string(), z.number()) }),
  hosts: z.record(z.string(), z.object({ clientCredSSP: z.unknown(), serviceCredSSP: z.unknown(), registry: z.unknown(), registryPol: z.unknown() }).passthrough()),
  /** Remote shells (PSSessions) this PowerShell holds open, by host. */
  openSessions: z.record(z.string(), z.number()),
}).passthrough();
export type LabStateView = z.infer<typeof labView>;
const labRan = z.object({ ran: z.array(z.object({ taskName: z.string(), result: z.number(), output: z.array(z.string()) })).optional().default([]) }).passthrough();

/**
 * What must be identical before and after a restore: flags, the registry, the local GPO's records,
 * and the WinRM service (status and start type) with its TrustedHosts list.
 */
export function machineState(view: LabStateView): unknown {
  const out: Record<string, unknown> = {};
  for (const [name, h] of Object.entries(view.hosts)) {
    // CredHop's scheduled tasks and their files are part of a machine: "as it was" means they are gone.
    const tasks = Array.isArray(h.scheduledTasks) ? (h.scheduledTasks as { name: string }[]).map((t) => t.name) : [];
    out[name] = { clientCredSSP: h.clientCredSSP, serviceCredSSP: h.serviceCredSSP, registry: h.registry, registryPol: h.registryPol, winrm: h.winrm, winrmStartType: h.winrmStartType, trustedHosts: h.trustedHosts, scheduledTasks: tasks, credhopFiles: h.credhopFiles ?? [] };
  }
  return out;
}

/** `configuredPowerShell`: the PowerShell CredHop starts (e.g. one with logging on, tests/support/ps-logging.ts). */
export function startLab(lab: LabFile | string = articleLab(), existingDir?: string, options: { configuredPowerShell?: string } = {}): LabRun {
  requirePwsh();
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), 'credhop-lab-'));
  const labFile = typeof lab === 'string' ? lab : join(dir, 'lab.json');
  if (typeof lab !== 'string' && !existingDir) writeFileSync(labFile, JSON.stringify(lab, null, 2));
  const services = createMainServices({ dataDir: dir, root: process.cwd(), practice: { labFile, reset: !existingDir }, configuredPowerShell: options.configuredPowerShell });
  const hop = services.hop()!;
  const ps = services.engine()!;
  const run: LabRun = {
    dir,
    labFile,
    services,
    hop,
    restart: () => startLab(labFile, dir, options),
    state: () => ps.lab('Get-CredHopLabState', {}, labView),
    gpupdate: async (host) => void (await ps.lab('Invoke-CredHopLabGpUpdate', { host }, z.unknown())),
    fault: async (fault) => void (await ps.lab('Add-CredHopLabFault', fault, z.unknown())),
    setHost: async (host, set) => void (await ps.lab('Set-CredHopLabHost', { host, set }, z.unknown())),
    moveClock: (host, by) => ps.lab('Move-CredHopLabClock', { host, by }, labRan),
    power: (host, on) => ps.lab(on ? 'Start-CredHopLabHost' : 'Stop-CredHopLabHost', { host }, labRan),
    dispose: async () => {
      await services.dispose();
    },
  };
  return run;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Labs started through the returned function (and any run passed to `track`, such as a restart) are
 * disposed and their folders removed after each test of the calling file.
 */
export function labsForEachTest(): { lab: (...args: Parameters<typeof startLab>) => LabRun; track: (run: LabRun) => LabRun } {
  const runs: LabRun[] = [];
  afterEach(async () => {
    const dirs = new Set(runs.map((r) => r.dir));
    for (const r of runs.splice(0)) await r.dispose();
    for (const d of dirs) removeDir(d);
  });
  const track = (run: LabRun): LabRun => {
    runs.push(run);
    return run;
  };
  return { lab: (...args) => track(startLab(...args)), track };
}

/** One lab for every test of the calling file (for tests that share state on purpose); read `.run` inside tests. */
export function labForFile(): { readonly run: LabRun } {
  let current: LabRun | null = null;
  beforeAll(() => {
    current = startLab();
  });
  afterAll(async () => {
    if (!current) return;
    await current.dispose();
    removeDir(current.dir);
  });
  return {
    get run(): LabRun {
      if (!current) throw new Error('labForFile(): the lab is only there inside tests');
      return current;
    },
  };
}
