// Counts that do not depend on the machine: what a flow does, phase by phase, read from the lab's own
// counters (state.json), the local policy's version in each host's gpt.ini, and CredHop's own process
// (its PowerShell calls, its fsyncs). The benchmark prints them for every column; the counts test pins
// CredHop's practice flow with them, so a change that adds a round trip or a connection is seen in review.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { durableSyncs } from '../src/main/fs/durable';
import type { CheckResult, Credential, HopEngine, HopTarget, RestoreReport } from '../src/main/hop/engine';
import type { PowerShellEngine } from '../src/main/powershell/engine';

/** What is counted, in the order the tables show it. */
export const COUNT_NAMES = ['connections', 'calls', 'localCalls', 'registryWrites', 'policyWrites', 'taskRegistrations', 'fsyncs'] as const;
export type CountName = (typeof COUNT_NAMES)[number];
export type Counts = Record<CountName, number>;

export const COUNT_LABELS: Record<CountName, string> = {
  connections: 'new connections',
  calls: 'calls over a kept connection',
  localCalls: 'local PowerShell calls',
  registryWrites: 'registry writes',
  policyWrites: 'policy-file writes',
  taskRegistrations: 'scheduled-task registrations',
  fsyncs: 'journal and audit fsyncs',
};

/** Every counter at one moment: the lab's by host, the local policy versions, and CredHop's process' own. */
export interface Reading {
  lab: Record<'connections' | 'calls' | 'registryWrites' | 'taskRegistrations', number>;
  policyVersion: number;
  localCalls: number;
  fsyncs: number;
}

const LAB_COUNTERS = ['connections', 'calls', 'registryWrites', 'taskRegistrations'] as const;

const total = (byHost: unknown): number =>
  byHost && typeof byHost === 'object' ? Object.values(byHost as Record<string, unknown>).reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0) : 0;

/**
 * The machine part of gpt.ini's Version (the low 16 bits), summed over the lab's hosts. Every write of
 * the local policy (Registry.pol) raises it by one, CredHop's and the runbook's alike: that is how
 * Group Policy notices a change, and how the lab counts policy-file writes without a hook in the writer.
 */
export function policyVersion(stateDir: string): number {
  const hosts = join(stateDir, 'hosts');
  if (!existsSync(hosts)) return 0;
  let sum = 0;
  for (const h of readdirSync(hosts)) {
    const gpt = join(hosts, h, 'Windows', 'System32', 'GroupPolicy', 'gpt.ini');
    if (!existsSync(gpt)) continue;
    const m = /^\s*Version\s*=\s*(\d+)\s*$/im.exec(readFileSync(gpt, 'latin1'));
    if (m) sum += Number(m[1]) & 0xffff;
  }
  return sum;
}

/** The lab's counters and policy versions as the lab's state folder holds them now (cheap: no PowerShell call). */
export function readLab(stateDir: string): Pick<Reading, 'lab' | 'policyVersion'> {
  const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8').replace(/^\uFEFF/, '')) as { counters?: Record<string, unknown> };
  const c = state.counters ?? {};
  return { lab: Object.fromEntries(LAB_COUNTERS.map((n) => [n, total(c[n])])) as Reading['lab'], policyVersion: policyVersion(stateDir) };
}

/** What happened between two readings. */
export function countsBetween(a: Reading, b: Reading): Counts {
  return {
    connections: b.lab.connections - a.lab.connections,
    calls: b.lab.calls - a.lab.calls,
    localCalls: b.localCalls - a.localCalls,
    registryWrites: b.lab.registryWrites - a.lab.registryWrites,
    policyWrites: b.policyVersion - a.policyVersion,
    taskRegistrations: b.lab.taskRegistrations - a.lab.taskRegistrations,
    fsyncs: b.fsyncs - a.fsyncs,
  };
}

export function sumCounts(xs: Counts[]): Counts {
  return Object.fromEntries(COUNT_NAMES.map((n) => [n, xs.reduce((a, x) => a + x[n], 0)])) as Counts;
}

/**
 * PowerShell for a by-hand column (define once, then `Write-BenchCounts <label>` after each phase):
 * prints `COUNTS:<label>:<policy versions>:<state.json on one line>`, the same Reading the bench takes
 * from CredHop's process, from a pwsh it cannot reach in between. .NET calls only: the lab shadows the
 * item cmdlets. $BenchStateDir is set by the bench to the lab state folder it made (a temp path).
 */
export const COUNTS_PROBE = String.raw`function Write-BenchCounts([string]$Label) {
    $v = 0
    foreach ($d in [System.IO.Directory]::GetDirectories([System.IO.Path]::Combine($BenchStateDir, 'hosts'))) {
        $f = [System.IO.Path]::Combine($d, 'Windows', 'System32', 'GroupPolicy', 'gpt.ini')
        if ([System.IO.File]::Exists($f) -and [System.IO.File]::ReadAllText($f) -match '(?im)^\s*Version\s*=\s*(\d+)\s*$') { $v += ([long]$Matches[1]) -band 0xFFFF }
    }
    $json = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($BenchStateDir, 'state.json')).Replace([string][char]13, ' ').Replace([string][char]10, ' ')
    [Console]::Out.WriteLine('COUNTS:' + $Label + ':' + $v + ':' + $json)
}`;

/** The readings a by-hand run printed, by label (it makes no CredHop calls and no fsyncs). */
export function readingsFromOutput(stdout: string): Map<string, Reading> {
  const out = new Map<string, Reading>();
  for (const line of stdout.split('\n')) {
    const m = /^COUNTS:([^:]+):(\d+):(.*)$/.exec(line.trim());
    if (!m) continue;
    const c = ((JSON.parse(m[3]!.replace(/^\uFEFF/, '')) as { counters?: Record<string, unknown> }).counters ?? {});
    out.set(m[1]!, { lab: Object.fromEntries(LAB_COUNTERS.map((n) => [n, total(c[n])])) as Reading['lab'], policyVersion: Number(m[2]), localCalls: 0, fsyncs: 0 });
  }
  return out;
}

/** The phases every column reports, in the order they run (the plain sequence has no check). */
export const PHASES = ['start', 'check', 'client', 'server', 'test', 'restore'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Counts every round trip from CredHop's process to its PowerShell (each command the shell runs: the
 * module's primitives, the version, the lab's entry points), from now on. A measurement hook: the runs
 * themselves are unchanged.
 */
export function countRoundTrips(engine: PowerShellEngine): { count(): number; stop(): void } {
  const shell = engine.shell;
  const run = shell.run.bind(shell);
  let n = 0;
  shell.run = ((...args: Parameters<typeof run>) => {
    n += 1;
    return run(...args);
  }) as typeof shell.run;
  return { count: () => n, stop: () => void (shell.run = run) };
}

/** Reads every counter of CredHop's side: the lab's state folder, the round trips so far, this process' fsyncs. */
export function credhopReader(stateDir: string, roundTrips: { count(): number }): () => Reading {
  return () => ({ ...readLab(stateDir), localCalls: roundTrips.count(), fsyncs: durableSyncs() });
}

/**
 * CredHop's practice flow after start-up, as the wizard runs it: check (snapshot and plan), client,
 * server, the hop test, restore (exact, verified). `phase` is called as each phase begins and ends.
 */
export async function practiceFlow(hop: HopEngine, target: HopTarget, cred: Credential, phase: (p: Phase, at: 'begin' | 'end') => void): Promise<{ checked: CheckResult; report: RestoreReport }> {
  phase('check', 'begin');
  const checked = await hop.check(target, cred);
  if (!checked.plan || !checked.snapshot) throw new Error(`the check did not complete: ${checked.diagnosis?.cause ?? 'no plan'}`);
  phase('check', 'end');
  phase('client', 'begin');
  const session = hop.beginSession(target, checked.snapshot, 60);
  await hop.apply('client', target, checked.plan, session, cred);
  phase('client', 'end');
  phase('server', 'begin');
  await hop.apply('server', target, checked.plan, session, cred);
  phase('server', 'end');
  phase('test', 'begin');
  const test = await hop.test(target, cred, 'credssp');
  if (!test.ok) throw new Error('the hop test failed');
  phase('test', 'end');
  phase('restore', 'begin');
  const report = await hop.restoreAll(() => cred, 'bench');
  phase('restore', 'end');
  return { checked, report };
}
