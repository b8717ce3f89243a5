// Builds the hop engine over the shared PowerShell engine, with the journal and audit log in the data
// folder. Practice mode keeps its own journal beside the lab's state, so a practice run can never be
// "restored" onto real machines, nor a real change onto the lab.
import { join } from 'node:path';
import type { PowerShellEngine } from '../powershell/engine';
import { ProfileUsageStore, type UsageLogEvent } from '../profiles/usage';
import { AuditLog } from './audit';
import { HopEngine } from './engine';
import { CREDHOP_VERSION } from '../version';
import { Journal } from './journal';

export function hopDataDir(dataDir: string, practice: boolean): string {
  return practice ? join(dataDir, 'practice') : dataDir;
}

export interface HopEngineOptions {
  ps: PowerShellEngine;
  dataDir: string;
  practice: boolean;
  practiceLab?: string | undefined;
  now?: () => Date;
  auditRetentionDays?: () => number;
  /** The saved profiles' ids (the profile store): the usage file keeps only theirs. Left out: no usage is kept. */
  profileIds?: () => Promise<readonly string[]>;
  log?: (entry: UsageLogEvent) => void;
}

export function createHopEngine(options: HopEngineOptions): HopEngine {
  const dir = hopDataDir(options.dataDir, options.practice);
  return new HopEngine({
    ps: options.ps,
    journal: new Journal(dir),
    audit: new AuditLog(dir, { version: CREDHOP_VERSION, ...(options.auditRetentionDays ? { retentionDays: options.auditRetentionDays } : {}), ...(options.now ? { now: options.now } : {}) }),
    practice: options.practice,
    ...(options.profileIds ? { usage: new ProfileUsageStore({ dir, profileIds: options.profileIds, ...(options.now ? { now: options.now } : {}), ...(options.log ? { log: options.log } : {}) }) } : {}),
    practiceLab: options.practiceLab,
    ...(options.now ? { now: options.now } : {}),
  });
}
