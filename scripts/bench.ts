// `npm run bench`: CredHop's practice flow against the article's plain command sequence in the same
// lab. Measures wall time, PowerShell processes started and remote connections per host (the lab
// counts them), the time from a fresh main process to the first IPC answer, the renderer's size
// (gzip), and the main process' peak memory during the flow. Then a soak: BENCH_SOAK_FLOWS flows back
// to back in one main-process engine (RSS, PowerShell processes, time per flow, journal and audit
// sizes per group of flows), and the start-up of a fresh process over a year of history against an
// empty data folder. Writes bench/latest.json and .md.
// A measurement, not a test: nothing here passes or fails on a number.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { scanBench, scanBenchLines, type ScanBench } from './bench-scan';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { createMainServices } from '../src/main/services';
import { durableSyncs } from '../src/main/fs/durable';
import { createRouter } from '../src/main/ipc/router';
import { PRACTICE_PASSWORD, PRACTICE_TARGET } from '../src/main/hop/practice';
import { AUDIT_FILE_NAME, auditLine, DEFAULT_AUDIT_MAX_BYTES, monthOf, rotatedName, rotationDue, type AuditEntry } from '../src/main/hop/audit';
import { Journal, type JournalRecord } from '../src/main/hop/journal';
import { COUNT_LABELS, COUNT_NAMES, COUNTS_PROBE, countRoundTrips, countsBetween, credhopReader, PHASES, practiceFlow, readingsFromOutput, sumCounts, type Counts, type Phase, type Reading } from './bench-counts';
import type { Plan, Snapshot } from '../src/shared/domain/hop';

const ROOT = resolve(__dirname, '..');
const PWSH = join(ROOT, '.tools', 'pwsh', 'pwsh');
const DEFAULT_LAB = join(ROOT, 'tests', 'lab', 'default-lab.json');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Runs at the LAN-like cost (CI runs fewer: each pass waits for its connections). */
const LAN_RUNS = Number(process.env.BENCH_LAN_RUNS ?? RUNS);
const SOAK_FLOWS = Number(process.env.BENCH_SOAK_FLOWS ?? 500);
/** Flows per reported group: a hundred for the full soak, a fifth of a short (CI) one. */
const SOAK_GROUP = Number(process.env.BENCH_SOAK_GROUP ?? (SOAK_FLOWS >= 500 ? 100 : Math.max(1, Math.ceil(SOAK_FLOWS / 5))));
const HISTORY_SESSIONS = Number(process.env.BENCH_HISTORY_SESSIONS ?? 7000);
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 9);
/** Passes of the same steps after the first, in the same process, for the warm figures of both columns. */
const WARM_PASSES = Number(process.env.BENCH_WARM_PASSES ?? 5);
const labView = z.object({ counters: z.object({ processes: z.number(), connections: z.record(z.string(), z.number()) }) }).passthrough();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function mean(xs: number[]): number {
  return sum(xs) / xs.length;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);
/** Released garbage is not what we measure: collect first when run with --expose-gc (npm run bench is). */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

type Phases = Record<Phase, number>;

/** What a connection and a call cost in the lab (its hosts' latencyMs and operationMs; the client is local). */
export interface Cost {
  name: 'zero' | 'lan';
  connectMs: number;
  callMs: number;
  labFile: string;
}

/** The two cost settings: the lab as it is (connections free), and a LAN-like cost per connection and per call. */
function costs(dir: string): Cost[] {
  const connectMs = Number(process.env.BENCH_LAN_CONNECT_MS ?? 500);
  const callMs = Number(process.env.BENCH_LAN_CALL_MS ?? 20);
  const lab = JSON.parse(readFileSync(DEFAULT_LAB, 'utf8')) as { client: string; hosts: { name: string }[] };
  const lan = { ...lab, description: `The default lab with a LAN-like cost: ${connectMs} ms per new connection, ${callMs} ms per call.`, hosts: lab.hosts.map((h) => (h.name === lab.client ? h : { ...h, latencyMs: connectMs, operationMs: callMs })) };
  const lanFile = join(dir, 'lan-lab.json');
  writeFileSync(lanFile, JSON.stringify(lan, null, 2));
  return [{ name: 'zero', connectMs: 0, callMs: 0, labFile: DEFAULT_LAB }, { name: 'lan', connectMs, callMs, labFile: lanFile }];
}

/** A column run by hand in one pwsh: its timed first pass (cold), the warm passes, and its counts per phase. */
interface HandRun {
  ms: number;
  processes: number;
  connections: Record<string, number>;
  phases: Phases;
  warm: Phases;
  counts: Record<Phase, Counts>;
}

/**
 * Commands typed by hand, in one fresh pwsh over a fresh lab. `steps` are each phase's commands (start
 * has none: PowerShell started and the lab loaded). Each phase ends with a line
 * `PHASE:<pass>:<name>:<unix ms>`, so its time is read against the moment pwsh was spawned. The steps
 * then run WARM_PASSES more times in the same pwsh (warm: the median of those passes per phase), and
 * once more, untimed, reading the lab's counters after each phase (the counts).
 */
function byHand(name: string, labFile: string, setup: string[], steps: Record<Exclude<Phase, 'start'>, string[]>): HandRun {
  const dir = mkdtempSync(join(tmpdir(), `credhop-bench-${name}-`));
  const stateDir = join(dir, 'lab');
  const payload = Buffer.from(JSON.stringify({ labFile, stateDir, reset: true })).toString('base64');
  const mark = (pass: number, phase: Phase) => `[Console]::Out.WriteLine('PHASE:${pass}:${phase}:' + [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())`;
  const pass = (n: number, counting = false) => [
    mark(n, 'start'),
    ...(counting ? ["Write-BenchCounts 'start'"] : []),
    ...PHASES.filter((p) => p !== 'start').flatMap((p) => [...steps[p as Exclude<Phase, 'start'>], mark(n, p), ...(counting ? [`Write-BenchCounts '${p}'`] : [])]),
  ];
  const script = [
    `Import-Module '${join(ROOT, 'tests/lab/CredHopLab.psd1')}' -Global -DisableNameChecking | Out-Null`,
    `Initialize-CredHopLab -Payload '${payload}' | Out-Null`,
    `$BenchStateDir = '${stateDir}'`,
    "$ErrorActionPreference = 'Stop'",
    ...setup,
    ...pass(1),
    // The counters as the first pass left them (the later passes are for their times and counts only).
    `[Console]::Out.WriteLine((Get-CredHopLabState -Payload '${Buffer.from('{}').toString('base64')}'))`,
    ...Array.from({ length: WARM_PASSES }, (_, i) => pass(i + 2)).flat(),
    COUNTS_PROBE,
    ...pass(WARM_PASSES + 2, true),
  ].join('\n');
  // A script file, as an administrator's session would run it (multi-line statements need no care).
  const file = join(dir, `${name}.ps1`);
  writeFileSync(file, script);
  const spawnedAt = Date.now();
  const r = spawnSync(PWSH, ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const line = r.stdout.split('\n').find((l) => l.includes('CREDHOP:'));
  const readings = readingsFromOutput(r.stdout);
  rmSync(dir, { recursive: true, force: true });
  if (!line || readings.size !== PHASES.length) throw new Error(`${name} column failed: ${r.stderr.slice(0, 1500)}\n${r.stdout.slice(-1500)}`);
  const state = labView.parse((JSON.parse(line.slice(line.indexOf('CREDHOP:') + 8)) as { data: unknown }).data);
  const marks = new Map<string, number>();
  for (const l of r.stdout.split('\n')) {
    const m = /^PHASE:(\d+):(\w+):(\d+)/.exec(l.trim());
    if (m) marks.set(`${m[1]}:${m[2]}`, Number(m[3]));
  }
  const at = (key: string) => {
    const v = marks.get(key);
    if (v === undefined) throw new Error(`${name} column: no mark ${key}`);
    return v;
  };
  const passPhases = (n: number, from: number) => {
    const phases = {} as Phases;
    let previous = from;
    for (const p of PHASES) {
      phases[p] = Math.max(0, at(`${n}:${p}`) - previous);
      previous = at(`${n}:${p}`);
    }
    return phases;
  };
  const phases = passPhases(1, spawnedAt);
  const passes = Array.from({ length: WARM_PASSES }, (_, i) => passPhases(i + 2, at(`${i + 2}:start`)));
  const warm = Object.fromEntries(PHASES.map((p) => [p, median(passes.map((x) => x[p]))])) as Phases;
  const counts = {} as Record<Phase, Counts>;
  let from = readings.get('start')!;
  counts.start = countsBetween(from, from);
  for (const p of PHASES.filter((x) => x !== 'start')) {
    const now = readings.get(p)!;
    counts[p] = countsBetween(from, now);
    from = now;
  }
  // Wall time as CredHop's column counts it: from the spawn to the machines restored (not pwsh's exit).
  return { ms: at('1:restore') - spawnedAt, processes: state.counters.processes, connections: state.counters.connections, phases, warm, counts };
}

/** The article's commands: no reads, no verification; Disable-WSManCredSSP strips every wsman/* entry. */
function plainSequence(cost: Cost): HandRun {
  return byHand('plain', cost.labFile, [], {
    check: [],
    client: ['Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null'],
    server: ['Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { Enable-WSManCredSSP -Role Server -Force } | Out-Null'],
    test: [
      `$cred = [pscredential]::new('COMPANY\\Administrator', (ConvertTo-SecureString '${PRACTICE_PASSWORD}' -AsPlainText -Force))`,
      'Invoke-Command -ComputerName adfs1.company.pri -Authentication CredSSP -Credential $cred -ScriptBlock { Invoke-Command -ComputerName mem2.company.pri -ScriptBlock { hostname } } | Out-Null',
    ],
    restore: ['Disable-WSManCredSSP -Role Client | Out-Null', 'Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { Disable-WSManCredSSP -Role Server } | Out-Null'],
  });
}

/**
 * The runbook `credhop runbook --practice` writes for the default lab (the same file the wizard's
 * Export as script saves), split at its numbered steps: what the careful administrator runs by hand.
 */
export interface RunbookSteps {
  /** Everything before the steps: the host names and the local policy functions (no #Requires, no param). */
  prelude: string[];
  credential: string[];
  client: string[];
  server: string[];
  test: string[];
  restore: string[];
}

function runbookSteps(): { steps: RunbookSteps; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-runbook-'));
  const file = join(dir, 'CredHop-bench.ps1');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'credhop.cjs'), 'runbook', '--practice', '--out', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CREDHOP_DATA_DIR: join(dir, 'data') } });
  if (r.status !== 0) throw new Error(`credhop runbook failed (${r.status}): ${r.stderr.slice(0, 800)}`);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  rmSync(dir, { recursive: true, force: true });
  const lines = text.split(/\r?\n/);
  const find = (pattern: RegExp, from = 0) => {
    const i = lines.findIndex((l, n) => n >= from && pattern.test(l));
    if (i < 0) throw new Error(`the runbook has no line ${pattern}: runbook.ts changed, update runbookSteps()`);
    return i;
  };
  const apply = find(/^if \(-not \$Restore\) \{$/);
  const now = find(/^ {4}# 1\. The state now/, apply);
  const client = find(/^ {4}# 2\. Configure this computer/, apply);
  const server = find(/^ {4}# 3\. Configure the jump server/, apply);
  const test = find(/^ {4}# 4\. Test the hop/, apply);
  const orElse = find(/^else \{$/, test);
  const body = (a: number, b: number) => lines.slice(a, b).map((l) => l.replace(/^ {4}/, ''));
  return {
    file,
    steps: {
      prelude: lines.slice(0, apply).filter((l) => !/^#Requires|^param\(/.test(l)),
      credential: body(apply + 1, now),
      client: body(client, server),
      server: body(server, test),
      // The runbook's closing words are for a reader, not a measurement.
      test: body(test, orElse - 1).filter((l) => !l.startsWith('Write-Output')),
      restore: body(orElse + 1, lines.lastIndexOf('}')),
    },
  };
}

/**
 * The careful administrator, by hand in one PowerShell: reads both machines first (the client's flags,
 * registry and local policy; the jump server's WinRM flag), makes CredHop's changes with the exported
 * runbook's own commands, reads back after each step, tests, restores exactly what was read (the
 * runbook's -Restore) and reads both machines again. Each read of the jump server is its own
 * Invoke-Command, as the runbook's commands are: a new connection each time.
 */
function carefulSequence(cost: Cost, runbook: RunbookSteps): HandRun {
  const readClient = '$null = @(Get-WSManCredSSP; (Get-Item WSMan:\\localhost\\Client\\Auth\\CredSSP).Value; Get-ChildItem HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation -Recurse -ErrorAction SilentlyContinue | Get-ItemProperty; (Read-CredHopPolicy).Records.Count)';
  const readServer = '$null = Invoke-Command -ComputerName $jumpServer -Credential $cred -ScriptBlock { (Get-Item WSMan:\\localhost\\Service\\Auth\\CredSSP).Value }';
  return byHand('careful', cost.labFile, [
    // The administrator types the password when the runbook asks for it.
    `function global:Get-Credential { param([string]$UserName, [string]$Message) [pscredential]::new('COMPANY\\Administrator', (ConvertTo-SecureString '${PRACTICE_PASSWORD}' -AsPlainText -Force)) }`,
    ...runbook.prelude,
  ], {
    check: [...runbook.credential, readClient, readServer],
    client: [...runbook.client.filter((l) => !/^Get-WSManCredSSP$/.test(l)), readClient],
    server: [...runbook.server, readServer],
    test: [...runbook.test.map((l) => l.replace(/^\}$/, '} | Out-Null'))],
    restore: [...runbook.restore.filter((l) => !/^Get-WSManCredSSP$/.test(l)), readClient, readServer],
  });
}

/**
 * What the secret channel costs: the same remote call (Whoami on adfs1 over a fresh connection), with a
 * credential (its password on the secret channel) and without one, alternated in one warm PowerShell.
 */
async function secretChannelCost(calls: number): Promise<{ calls: number; withSecretMs: number; withoutMs: number; costPerCallMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-secret-'));
  const services = createMainServices({ dataDir: dir, root: ROOT, practice: { reset: true } });
  const ps = services.engine()!;
  const remote = z.object({ output: z.array(z.unknown()), errors: z.array(z.unknown()) });
  const call = (withSecret: boolean) => ps.call('InvokeRemote', {
    computerName: PRACTICE_TARGET.jumpServer,
    authentication: withSecret ? 'Negotiate' : 'Default',
    credential: withSecret ? { userName: PRACTICE_TARGET.account, secret: 0 } : null,
    script: 'Whoami',
    arguments: {},
  }, remote, withSecret ? { secrets: [PRACTICE_PASSWORD] } : {});
  await call(true);
  await call(false); // warm both paths
  const withSecret: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    let t = performance.now();
    await call(true);
    withSecret.push(performance.now() - t);
    t = performance.now();
    await call(false);
    without.push(performance.now() - t);
  }
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
  const a = median(withSecret);
  const b = median(without);
  return { calls, withSecretMs: Math.round(a * 10) / 10, withoutMs: Math.round(b * 10) / 10, costPerCallMs: Math.round((a - b) * 10) / 10 };
}

/** Per phase: PowerShell calls, how many crossed to the jump server, and the time spent waiting on them. */
type Calls = Record<Phase, { calls: number; remote: number; inPowerShellMs: number }>;
const noCalls = (): Calls => Object.fromEntries(PHASES.map((p) => [p, { calls: 0, remote: 0, inPowerShellMs: 0 }])) as Calls;

interface FlowRun {
  ms: number;
  processes: number;
  connections: Record<string, number>;
  peakRssMb: number;
  clean: boolean;
  material: Material;
  phases: Phases;
  calls: Calls;
  warm: Phases;
  counts: Record<Phase, Counts>;
}

/**
 * CredHop's flow: check, plan, client, server, test, restore (with snapshot and verification), in-process,
 * in a fresh PowerShell; then WARM_PASSES more times in the same process (warm: the first use is paid).
 * Every primitive call is timed, so each phase splits into time inside PowerShell and CredHop's own; the
 * first pass is counted too (reading the counters is a file read, kept out of the phases' times).
 */
async function credhopFlow(cost: Cost): Promise<FlowRun> {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-flow-'));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  let phases = {} as Phases;
  let calls = noCalls();
  let phase: Phase = 'start';
  const t0 = performance.now();
  let lap = t0;
  const done = (p: Phase) => {
    const now = performance.now();
    phases[p] = Math.round(now - lap);
    lap = now;
  };
  const services = createMainServices({ dataDir: dir, root: ROOT, practice: { labFile: cost.labFile, reset: true } });
  const engine = services.engine()!;
  const trips = countRoundTrips(engine);
  const fsyncsBefore = durableSyncs();
  // Counts and times every primitive call per phase (a measurement hook; the call itself is unchanged).
  const call = engine.call.bind(engine);
  engine.call = (async (primitive: string, ...rest: Parameters<typeof call> extends [string, ...infer R] ? R : never) => {
    const c = calls[phase];
    c.calls += 1;
    if (primitive === 'InvokeRemote') c.remote += 1;
    const t = performance.now();
    try {
      return await call(primitive, ...rest);
    } finally {
      c.inPowerShellMs += performance.now() - t;
    }
  }) as typeof engine.call;
  const hop = services.hop()!;
  const target = { profileId: 'bench', profileName: 'bench', ...PRACTICE_TARGET };
  const cred = { userName: PRACTICE_TARGET.account, password: PRACTICE_PASSWORD };
  // PowerShell started, the lab and the module loaded: what the hand columns' "start" is.
  await engine.info();
  done('start');
  const read = credhopReader(engine.config.practice!.stateDir, trips);
  const counts = {} as Record<Phase, Counts>;
  let reading: Reading | null = read();
  counts.start = countsBetween({ lab: { connections: 0, calls: 0, registryWrites: 0, taskRegistrations: 0 }, policyVersion: reading.policyVersion, localCalls: 0, fsyncs: fsyncsBefore }, reading);
  lap = performance.now();
  const steps = () => practiceFlow(hop, target, cred, (p, at) => {
    if (at === 'begin') {
      phase = p;
      return;
    }
    done(p);
    if (reading) {
      const now = read();
      counts[p] = countsBetween(reading, now);
      reading = now;
      lap = performance.now();
    }
  });
  const { checked, report } = await steps();
  reading = null;
  // Wall time: the phases themselves (the counters' reads excluded).
  const ms = PHASES.reduce((a, p) => a + phases[p], 0);
  const first = { phases, calls };
  const state = await engine.lab('Get-CredHopLabState', {}, labView);
  const flowAudit = hop.audit.export().trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
  // The warm passes: the same steps again in the same process; the median of each phase over them.
  const passes: Phases[] = [];
  let allClean = report.clean;
  for (let i = 0; i < WARM_PASSES; i += 1) {
    phases = { start: 0 } as Phases;
    calls = noCalls();
    lap = performance.now();
    allClean &&= (await steps()).report.clean;
    passes.push(phases);
  }
  const warm = Object.fromEntries(PHASES.map((p) => [p, median(passes.map((x) => x[p]))])) as Phases;
  clearInterval(sampler);
  engine.call = call;
  trips.stop();
  const processes = engine.shell.processesStarted;
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
  return { ms, processes, connections: state.counters.connections, peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10, clean: allClean, material: { snapshot: checked.snapshot!, plan: checked.plan!, flowAudit }, phases: first.phases, calls: first.calls, warm, counts };
}

interface SoakGroup {
  flows: string;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
  /** V8's reserved heap: it grows in steps (young generation) while the live heap stays flat. */
  heapTotalMb: number;
  powershellProcesses: number;
  medianMs: number;
  meanMs: number;
  journalBytes: number;
  openSessions: number;
  auditBytes: number;
  auditFiles: number;
}

/**
 * The soak: SOAK_FLOWS whole flows (check, both apply steps, test, restore) back to back in one main
 * process, one set of services and one hop engine, as the app runs all day. Reports each group as it ends.
 */
async function soak(onGroup: (groups: SoakGroup[], allClean: boolean) => void): Promise<{ groups: SoakGroup[]; allClean: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-soak-'));
  const services = createMainServices({ dataDir: dir, root: ROOT, practice: { reset: true } });
  const hop = services.hop()!;
  const target = { profileId: 'bench', profileName: 'bench', ...PRACTICE_TARGET };
  const cred = { userName: PRACTICE_TARGET.account, password: PRACTICE_PASSWORD };
  const journal = join(dir, 'practice', 'journal.jsonl');
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const groups: SoakGroup[] = [];
  let times: number[] = [];
  let allClean = true;
  for (let i = 1; i <= SOAK_FLOWS; i += 1) {
    const t0 = performance.now();
    const checked = await hop.check(target, cred);
    const session = hop.beginSession(target, checked.snapshot!, 60);
    await hop.apply('client', target, checked.plan!, session, cred);
    await hop.apply('server', target, checked.plan!, session, cred);
    const test = await hop.test(target, cred, 'credssp');
    const report = await hop.restoreAll(() => cred, 'bench soak');
    times.push(performance.now() - t0);
    if (!test.ok) throw new Error(`the hop test failed in soak flow ${i}`);
    allClean &&= report.clean;
    if (i % SOAK_GROUP === 0 || i === SOAK_FLOWS) {
      collect();
      const memory = process.memoryUsage();
      const files = hop.audit.files();
      groups.push({
        flows: `${i - times.length + 1}-${i}`,
        rssMb: mb(memory.rss),
        peakRssMb: mb(Math.max(peak, memory.rss)),
        heapUsedMb: mb(memory.heapUsed),
        heapTotalMb: mb(memory.heapTotal),
        powershellProcesses: services.engine()!.shell.processesStarted,
        medianMs: Math.round(median(times)),
        meanMs: Math.round(mean(times)),
        journalBytes: fileSize(journal),
        openSessions: hop.openSessions().length,
        auditBytes: files.reduce((sum, f) => sum + fileSize(f), 0),
        auditFiles: files.length,
      });
      console.error(`soak: ${JSON.stringify(groups[groups.length - 1])}`);
      onGroup(groups, allClean);
      times = [];
      peak = 0;
    }
  }
  clearInterval(sampler);
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
  return { groups, allClean };
}

/** One real flow's snapshot, plan and audit entries: what the simulated year of history is made of. */
interface Material {
  snapshot: Snapshot;
  plan: Plan;
  flowAudit: AuditEntry[];
}

/** A closed session's journal records as the engine writes them: begin (snapshot), intent and outcome per change, restored. */
function closedSessionRecords(session: string, at: Date, snapshot: Snapshot, plan: Plan): JournalRecord[] {
  const iso = at.toISOString();
  const records: JournalRecord[] = [{ type: 'begin', session, at: iso, profileId: 'bench', profileName: 'bench', account: PRACTICE_TARGET.account, jumpServer: PRACTICE_TARGET.jumpServer, target: PRACTICE_TARGET.target, expiresAt: new Date(at.getTime() + 3_600_000).toISOString(), practice: true, snapshot }];
  for (const c of plan.changes) {
    const changeId = `${c.id}-${session.slice(0, 8)}`;
    records.push({ type: 'intent', session, changeId, at: iso, change: c.change }, { type: 'outcome', session, changeId, at: iso, ok: true });
  }
  records.push({ type: 'restored', session, at: iso, complete: true, reason: 'user', differences: [] });
  return records;
}

/**
 * A year of use in a data folder: HISTORY_SESSIONS closed sessions spread over the last 365 days. The
 * audit log is laid out by the product's own rotation rules (month or 1 MiB, dated names); the
 * journal is written whole and then compacted by the product's own code, or left whole for contrast.
 */
function yearOfHistory(dir: string, material: Material, compacted: boolean): { compactMs: number; auditBytes: number; auditFiles: number; journalBytesBefore: number } {
  const practiceDir = join(dir, 'practice');
  mkdirSync(practiceDir, { recursive: true });
  const now = Date.now();
  const span = 365 * 86_400_000;
  const journalLines: string[] = [];
  const files: { name: string; text: string }[] = [];
  let live = { lines: [] as string[], bytes: 0, month: null as string | null };
  for (let i = 0; i < HISTORY_SESSIONS; i += 1) {
    const at = new Date(now - span + Math.round(((i + 0.5) * span) / HISTORY_SESSIONS));
    const session = randomUUID();
    for (const r of closedSessionRecords(session, at, material.snapshot, material.plan)) journalLines.push(JSON.stringify(r));
    for (const [j, e] of material.flowAudit.entries()) {
      const entry: AuditEntry = { ...e, session, at: new Date(at.getTime() + j * 1000).toISOString() };
      const line = auditLine(entry);
      const info = { bytes: Buffer.byteLength(line), month: monthOf(entry.at) };
      if (rotationDue({ bytes: live.bytes, month: live.month }, info, DEFAULT_AUDIT_MAX_BYTES)) {
        files.push({ name: rotatedName(live.month!, files.map((f) => f.name)), text: live.lines.join('') });
        live = { lines: [], bytes: 0, month: null };
      }
      live.lines.push(line);
      live.bytes += info.bytes;
      live.month ??= info.month;
    }
  }
  files.push({ name: AUDIT_FILE_NAME, text: live.lines.join('') });
  for (const f of files) writeFileSync(join(practiceDir, f.name), f.text, { mode: 0o600 });
  const journalFile = join(practiceDir, 'journal.jsonl');
  writeFileSync(journalFile, `${journalLines.join('\n')}\n`, { mode: 0o600 });
  const journalBytesBefore = fileSize(journalFile);
  let compactMs = 0;
  if (compacted) {
    const t0 = performance.now();
    new Journal(practiceDir).compact(new Date());
    compactMs = Math.round(performance.now() - t0);
  }
  return { compactMs, auditBytes: files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0), auditFiles: files.length, journalBytesBefore };
}

/** A fresh process of the built command line answering the open sessions (`credhop journal`), wall time. */
function startupOnce(dataDir: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'credhop.cjs'), 'journal', '--practice', '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CREDHOP_DATA_DIR: dataDir } });
  const ms = performance.now() - t0;
  const out = JSON.parse(r.stdout.trim() || '{}') as { open?: unknown[] };
  if (r.status !== 0 || !Array.isArray(out.open) || out.open.length !== 0) throw new Error(`start-up run failed: ${r.stderr.slice(0, 300)}`);
  return ms;
}

async function historyStartup(material: Material) {
  const empty = mkdtempSync(join(tmpdir(), 'credhop-bench-empty-'));
  const year = mkdtempSync(join(tmpdir(), 'credhop-bench-year-'));
  const uncompacted = mkdtempSync(join(tmpdir(), 'credhop-bench-year-whole-'));
  const built = yearOfHistory(year, material, true);
  yearOfHistory(uncompacted, material, false);
  const runs = { empty: [] as number[], year: [] as number[], uncompacted: [] as number[] };
  startupOnce(empty); // warm the file cache for node and the bundle, equally for all three
  // Interleaved, so a noisy neighbour on the machine weighs on all three alike.
  for (let i = 0; i < STARTUP_RUNS; i += 1) {
    runs.empty.push(startupOnce(empty));
    runs.year.push(startupOnce(year));
    runs.uncompacted.push(startupOnce(uncompacted));
  }
  const journalBytes = fileSize(join(year, 'practice', 'journal.jsonl'));
  for (const d of [empty, year, uncompacted]) rmSync(d, { recursive: true, force: true });
  const emptyMs = median(runs.empty);
  const yearMs = median(runs.year);
  return {
    runs: STARTUP_RUNS,
    command: 'credhop journal --practice --json (fresh node process: builds the services, reads the journal, answers the open sessions)',
    history: { closedSessions: HISTORY_SESSIONS, auditBytes: built.auditBytes, auditFiles: built.auditFiles, journalBytesBeforeCompaction: built.journalBytesBefore, journalBytesAfterCompaction: journalBytes, oneTimeCompactionMs: built.compactMs },
    emptyMedianMs: Math.round(emptyMs),
    yearMedianMs: Math.round(yearMs),
    yearVsEmpty: Math.round((yearMs / emptyMs) * 100) / 100,
    uncompactedYearMedianMs: Math.round(median(runs.uncompacted)),
  };
}

/**
 * Start-up, on the built bundle (out/main, plain Node, no tsx): a fresh main process builds the same
 * services as the Electron entry from the shared chunk electron-vite emits beside index.js and cli.js,
 * starts the warm-up (unless told not to) and the time box as index.ts does, then asks, like the window
 * does, for the PowerShell-free channels (profiles, settings, journal status) and later for a check.
 * Times are from the process' own start (performance.timeOrigin), so module loading counts.
 */
interface StartRun {
  /** Node's own start-up, before main's first line runs. */
  mainStartMs: number;
  /** The main-side modules loaded (Node started and the bundle required). */
  loadedMs: number;
  /** First answer of a channel that needs no PowerShell (the first of profilesList, settingsGet, hopStatus). */
  firstFreeMs: number;
  /** All three PowerShell-free answers in. */
  allFreeMs: number;
  /** The first check's own duration, from the moment it was asked. */
  firstCheckMs: number;
  /** A second check in the same (now warm) process, over the management session the first opened. */
  warmCheckMs: number;
  /** A third check in the warm process after a clean-up ended that session: the same work plus a new connection. */
  warmNewConnectionCheckMs: number;
  /** When the warm-up (PowerShell started, module and lab loaded) finished, from process start. */
  warmedAtMs: number | null;
}

function startRun(dataDir: string, profileId: string, options: { warmUp: boolean; checkAfterMs: number | 'warm' }): StartRun {
  const code = `
    const mainStartMs = performance.now();
    const { readdirSync } = require('node:fs');
    const chunk = readdirSync('out/main/chunks').find((n) => n.startsWith('services-') && n.endsWith('.js'));
    const { createMainServices } = require('./out/main/chunks/' + chunk);
    const loadedMs = performance.now();
    const ctx = (id) => ({ operationId: id, progress: () => {} });
    const s = createMainServices({ dataDir: process.env.BENCH_DATA_DIR, root: process.cwd(), practice: { reset: false } });
    let warmedAtMs = null;
    const warmed = process.env.BENCH_WARM === '1' ? s.warmUp().then(() => { warmedAtMs = performance.now(); }) : Promise.resolve();
    void s.startTimebox().catch(() => undefined);
    const free = [s.handlers.profilesList({}, ctx('a')), s.handlers.settingsGet({}, ctx('b')), s.handlers.hopStatus({}, ctx('c'))];
    let firstFreeMs = 0;
    Promise.race(free).then(() => { firstFreeMs = performance.now(); });
    Promise.all(free).then(async () => {
      const allFreeMs = performance.now();
      if (process.env.BENCH_CHECK_AFTER === 'warm') await warmed;
      const wait = Number(process.env.BENCH_CHECK_AFTER) - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const check = async () => {
        const t = performance.now();
        const r = await s.handlers.hopCheck({ profileId: process.env.BENCH_PROFILE }, ctx('d'));
        if (!r.plan) throw new Error('the check did not complete');
        return performance.now() - t;
      };
      const firstCheckMs = await check();
      const warmCheckMs = await check();
      // Clean up now with nothing to restore ends the kept management session: the next check connects anew.
      await s.handlers.hopRestore({ operationId: 'e' }, ctx('e'));
      const warmNewConnectionCheckMs = await check();
      await s.dispose();
      console.log(JSON.stringify({ mainStartMs, loadedMs, firstFreeMs, allFreeMs, firstCheckMs, warmCheckMs, warmNewConnectionCheckMs, warmedAtMs }));
      process.exit(0);
    }).catch((e) => { console.error(String(e && e.message)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_DATA_DIR: dataDir, BENCH_PROFILE: profileId, BENCH_WARM: options.warmUp ? '1' : '0', BENCH_CHECK_AFTER: String(options.checkAfterMs) },
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`start-up run failed: ${r.stderr.slice(0, 500)}`);
  return JSON.parse(line) as StartRun;
}

/** A data folder with one practice profile and a lab (the state a start finds on an operator's machine). */
async function startFixture(): Promise<{ dir: string; profileId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-start-'));
  const services = createMainServices({ dataDir: dir, root: ROOT, practice: { reset: true } });
  await services.settings.update({ practiceMode: true });
  const profile = await services.profiles.store.create({ name: 'Bench', jumpServer: PRACTICE_TARGET.jumpServer, jumpServerConnectAs: PRACTICE_TARGET.jumpServer, target: PRACTICE_TARGET.target, jumpAccount: PRACTICE_TARGET.account, targetAccount: null, probeCommand: 'hostname', timeBoxMinutes: 60, notes: '' });
  await services.engine()!.info(); // seeds the lab's state in the data folder
  await services.dispose();
  return { dir, profileId: profile.id };
}

function rendererSize(): { js: number; css: number } {
  const dir = join(ROOT, 'out', 'renderer', 'assets');
  let js = 0;
  let css = 0;
  for (const f of readdirSync(dir)) {
    const gz = gzipSync(readFileSync(join(dir, f))).length;
    if (f.endsWith('.js')) js += gz;
    if (f.endsWith('.css')) css += gz;
  }
  return { js, css };
}

function historyStartupLines(start: Awaited<ReturnType<typeof historyStartup>>): string[] {
  return [
    '',
    `## Start-up with a year of history (${start.history.closedSessions} closed sessions)`,
    '',
    `A fresh process of the built command line answers the open sessions (\`credhop journal --practice --json\`), median of ${start.runs} interleaved runs.`,
    `The year: an audit log of ${start.history.auditBytes} B in ${start.history.auditFiles} files (monthly and 1 MiB rotation), and the journal of those sessions`,
    `(${start.history.journalBytesBeforeCompaction} B written whole) compacted by CredHop to ${start.history.journalBytesAfterCompaction} B in ${start.history.oneTimeCompactionMs} ms.`,
    '',
    '| data folder | start-up to the answer |',
    '|---|---|',
    `| empty | ${start.emptyMedianMs} ms |`,
    `| a year of history, journal compacted | ${start.yearMedianMs} ms (${start.yearVsEmpty} of empty) |`,
    `| for contrast: the same year with the journal never compacted | ${start.uncompactedYearMedianMs} ms |`,
  ];
}

/** `--only scan`: run the scan section alone and update it in bench/latest.json and latest.md. */
async function onlyScan(): Promise<void> {
  const scan = await scanBench(ROOT);
  const jsonFile = join(ROOT, 'bench', 'latest.json');
  const mdFile = join(ROOT, 'bench', 'latest.md');
  const json = existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as Record<string, unknown>) : {};
  json.scan = { ...scan, date: new Date().toISOString(), loadAverage: loadavg().map((l) => Math.round(l * 10) / 10) };
  const before = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : '';
  const cut = before.indexOf('## Estate scan');
  const head = (cut >= 0 ? before.slice(0, cut) : before).trimEnd();
  const section = scanBenchLines(scan).join('\n');
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(mdFile, `${head}${head ? '\n\n' : ''}${section}\n`);
  console.log(section);
}

/**
 * Start-up from a fresh main process (the built bundle in plain Node), RUNS times each: the first
 * PowerShell-free answers, the warm-up, and the first check against a warm one (#13 item 3's targets).
 */
async function startupBench() {
  const fixture = await startFixture();
  // The operator's first click on "Check" comes once the window is up and a profile is chosen. The
  // shipped case: the click comes after the warm-up finished (its time is reported); the same moment
  // without warm-up for comparison; and the worst case, a check asked the instant the window has its
  // PowerShell-free answers.
  const startWarmAtOnce: StartRun[] = [];
  const startWarmClick: StartRun[] = [];
  const startColdClick: StartRun[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const warm = startRun(fixture.dir, fixture.profileId, { warmUp: true, checkAfterMs: 'warm' });
    startWarmClick.push(warm);
    startColdClick.push(startRun(fixture.dir, fixture.profileId, { warmUp: false, checkAfterMs: warm.warmedAtMs ?? 0 }));
    startWarmAtOnce.push(startRun(fixture.dir, fixture.profileId, { warmUp: true, checkAfterMs: 0 }));
  }
  rmSync(fixture.dir, { recursive: true, force: true });
  const m = (runs: StartRun[], key: keyof StartRun) => Math.round(median(runs.map((r) => r[key] ?? NaN)));
  const warmCheck = m([...startWarmClick, ...startColdClick, ...startWarmAtOnce], 'warmCheckMs');
  const warmNewConnection = m([...startWarmClick, ...startColdClick, ...startWarmAtOnce], 'warmNewConnectionCheckMs');
  return {
    bundle: 'out/main (plain Node, no tsx)',
    runs: RUNS,
    nodeStartedMs: m(startWarmClick, 'mainStartMs'),
    modulesLoadedMs: m(startWarmClick, 'loadedMs'),
    firstPowerShellFreeAnswerSinceMainMs: Math.round(median(startWarmClick.map((r) => r.firstFreeMs - r.mainStartMs))),
    firstPowerShellFreeAnswerMs: m(startWarmClick, 'firstFreeMs'),
    allPowerShellFreeAnswersMs: m(startWarmClick, 'allFreeMs'),
    firstPowerShellFreeAnswerWithoutWarmUpMs: m(startColdClick, 'firstFreeMs'),
    warmUpDoneMs: m(startWarmClick, 'warmedAtMs'),
    firstCheckAfterClickMs: m(startWarmClick, 'firstCheckMs'),
    firstCheckRatioToWarm: Math.round((m(startWarmClick, 'firstCheckMs') / warmCheck) * 100) / 100,
    firstCheckAfterClickWithoutWarmUpMs: m(startColdClick, 'firstCheckMs'),
    firstCheckAtOnceMs: m(startWarmAtOnce, 'firstCheckMs'),
    warmCheckMs: warmCheck,
    warmNewConnectionCheckMs: warmNewConnection,
    firstCheckRatioToWarmNewConnection: Math.round((m(startWarmClick, 'firstCheckMs') / warmNewConnection) * 100) / 100,
    targets: { firstPowerShellFreeAnswerMs: 150, firstCheckMaxRatioToWarm: 1.2 },
  };
}

/** `npm run bench -- --only flow`: the three columns at both costs, their phases and counts, printed (no files written). */
async function onlyFlow(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-costs-'));
  const { steps } = runbookSteps();
  const all: Columns[] = [];
  for (const cost of costs(dir)) all.push(await runColumns(cost, steps));
  rmSync(dir, { recursive: true, force: true });
  console.log([...columnsLines(all), '', `(${RUNS} runs, load ${loadavg().map((l) => l.toFixed(1)).join(' / ')})`].join('\n'));
}

/** `npm run bench -- --only startup`: the start-up figures, printed (no files written; builds first). */
async function onlyStartup(): Promise<void> {
  const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stderr.slice(-1500)}`);
  console.log(JSON.stringify(await startupBench(), null, 2));
}

/** One cost setting's runs of the three columns, interleaved run by run (a noisy neighbour weighs on all three alike). */
interface Columns {
  cost: Cost;
  plain: HandRun[];
  careful: HandRun[];
  flows: FlowRun[];
}

async function runColumns(cost: Cost, runbook: RunbookSteps): Promise<Columns> {
  const c: Columns = { cost, plain: [], careful: [], flows: [] };
  const runs = cost.name === 'lan' ? LAN_RUNS : RUNS;
  for (let i = 0; i < runs; i += 1) {
    c.plain.push(plainSequence(cost));
    c.careful.push(carefulSequence(cost, runbook));
    c.flows.push(await credhopFlow(cost));
    console.error(`bench: ${cost.name} cost, run ${i + 1}/${runs}: plain ${c.plain[i]!.ms} ms, careful ${c.careful[i]!.ms} ms, CredHop ${Math.round(c.flows[i]!.ms)} ms`);
  }
  return c;
}

type PhaseRow = { plainMs: number; carefulMs: number; credhopMs: number; credhopInPowerShellMs: number; credhopOwnMs: number; credhopCalls: number; credhopRemoteCalls: number; plainWarmMs: number; carefulWarmMs: number; credhopWarmMs: number };

/** Medians per phase of the three columns, cold (a fresh PowerShell) and warm (the later passes), and CredHop's calls. */
function phaseTable(c: Columns): Record<Phase, PhaseRow> {
  const m = (xs: number[]) => Math.round(median(xs));
  const { plain, careful, flows } = c;
  return Object.fromEntries(PHASES.map((p) => {
    const inPs = m(flows.map((f) => f.calls[p].inPowerShellMs));
    const credhopMs = m(flows.map((f) => f.phases[p]));
    return [p, {
      plainMs: m(plain.map((x) => x.phases[p])),
      carefulMs: m(careful.map((x) => x.phases[p])),
      credhopMs,
      // The start phase's one call (the version) is its whole work: counted as PowerShell's.
      credhopInPowerShellMs: p === 'start' ? credhopMs : inPs,
      credhopOwnMs: p === 'start' ? 0 : m(flows.map((f) => f.phases[p] - f.calls[p].inPowerShellMs)),
      credhopCalls: flows[0]!.calls[p].calls,
      credhopRemoteCalls: flows[0]!.calls[p].remote,
      plainWarmMs: m(plain.map((x) => x.warm[p])),
      carefulWarmMs: m(careful.map((x) => x.warm[p])),
      credhopWarmMs: m(flows.map((f) => f.warm[p])),
    }];
  })) as Record<Phase, PhaseRow>;
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** Whole flows: medians, cold from the spawn and warm (start excluded), and CredHop's ratios to both hand columns. */
function summary(c: Columns) {
  const warmTotal = (xs: { warm: Phases }[]) => Math.round(median(xs.map((x) => sum(PHASES.map((p) => x.warm[p])))));
  const cold = { plainMs: Math.round(median(c.plain.map((x) => x.ms))), carefulMs: Math.round(median(c.careful.map((x) => x.ms))), credhopMs: Math.round(median(c.flows.map((x) => x.ms))) };
  const warm = { plainMs: warmTotal(c.plain), carefulMs: warmTotal(c.careful), credhopMs: warmTotal(c.flows) };
  return {
    cost: { name: c.cost.name, connectMs: c.cost.connectMs, callMs: c.cost.callMs },
    cold: { ...cold, ratioToPlain: ratio(cold.credhopMs, cold.plainMs), ratioToCareful: ratio(cold.credhopMs, cold.carefulMs) },
    warm: { ...warm, ratioToPlain: ratio(warm.credhopMs, warm.plainMs), ratioToCareful: ratio(warm.credhopMs, warm.carefulMs) },
    connectionsToJumpServer: { plain: c.plain[0]!.connections.adfs1 ?? 0, careful: c.careful[0]!.connections.adfs1 ?? 0, credhop: c.flows[0]!.connections.adfs1 ?? 0 },
    phases: phaseTable(c),
  };
}

/** Each column's counts per phase (one run: they do not depend on the machine), and whether every run counted the same. */
function countsOf(c: Columns) {
  const same = (xs: { counts: Record<Phase, Counts> }[]) => xs.every((x) => JSON.stringify(x.counts) === JSON.stringify(xs[0]!.counts));
  return {
    plain: c.plain[0]!.counts,
    careful: c.careful[0]!.counts,
    credhop: c.flows[0]!.counts,
    sameInEveryRun: same(c.plain) && same(c.careful) && same(c.flows),
  };
}

function phaseTableLines(rows: Record<Phase, PhaseRow>): string[] {
  return [
    '| phase | plain | careful | CredHop | CredHop / careful | CredHop: inside PowerShell / its own | CredHop\'s calls (to the jump server) | warm: plain | warm: careful | warm: CredHop |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...PHASES.map((p) => {
      const x = rows[p];
      const warm = p === 'start' ? '| – | – | – |' : `| ${x.plainWarmMs} ms | ${x.carefulWarmMs} ms | ${x.credhopWarmMs} ms |`;
      const r = x.carefulMs > 0 ? ratio(x.credhopMs, x.carefulMs).toFixed(2) : '–';
      return `| ${p} | ${x.plainMs} ms | ${x.carefulMs} ms | ${x.credhopMs} ms | ${r} | ${x.credhopInPowerShellMs} / ${x.credhopOwnMs} ms | ${p === 'start' ? '1 (version)' : `${x.credhopCalls} (${x.credhopRemoteCalls})`} ${warm}`;
    }),
  ];
}

function countsTableLines(counts: ReturnType<typeof countsOf>): string[] {
  const columns = [['plain', counts.plain], ['careful', counts.careful], ['CredHop', counts.credhop]] as const;
  return [
    `| count | column | ${PHASES.join(' | ')} | whole flow |`,
    `|---|---|${PHASES.map(() => '---|').join('')}---|`,
    ...COUNT_NAMES.flatMap((n) => columns.map(([label, c], i) => {
      // The by-hand columns make no round trips to a CredHop PowerShell and keep no journal.
      const handOnly = label !== 'CredHop' && (n === 'localCalls' || n === 'fsyncs');
      const cells = PHASES.map((p) => (handOnly ? '–' : String(c[p][n])));
      return `| ${i === 0 ? COUNT_LABELS[n] : ''} | ${label} | ${cells.join(' | ')} | ${handOnly ? '–' : sumCounts(PHASES.map((p) => c[p]))[n]} |`;
    })),
  ];
}

/** What the kept management connection is worth at a cost: the connections to the jump server it saves, against its calls. */
function keptConnection(zero: Columns, lan: Columns) {
  const z = summary(zero);
  const l = summary(lan);
  const calls = (c: Record<Phase, Counts>) => sum(PHASES.map((p) => c[p].calls));
  const connections = (c: Record<Phase, Counts>) => sum(PHASES.map((p) => c[p].connections));
  const cc = countsOf(lan);
  const model = (x: Record<Phase, Counts>) => connections(x) * lan.cost.connectMs + calls(x) * lan.cost.callMs;
  return {
    connectMs: lan.cost.connectMs,
    callMs: lan.cost.callMs,
    // What the network adds to each column, by the counts (the model) and as measured (LAN median − zero median, cold).
    modelMs: { plain: model(cc.plain), careful: model(cc.careful), credhop: model(cc.credhop) },
    measuredMs: { plain: l.cold.plainMs - z.cold.plainMs, careful: l.cold.carefulMs - z.cold.carefulMs, credhop: l.cold.credhopMs - z.cold.credhopMs },
    connections: { plain: connections(cc.plain), careful: connections(cc.careful), credhop: connections(cc.credhop) },
    callsOverKept: { plain: calls(cc.plain), careful: calls(cc.careful), credhop: calls(cc.credhop) },
    toJumpServer: l.connectionsToJumpServer,
  };
}

function columnsLines(all: Columns[]): string[] {
  const [zero, lan] = [all.find((c) => c.cost.name === 'zero')!, all.find((c) => c.cost.name === 'lan')!];
  const rows = all.map((c) => ({ c, s: summary(c) }));
  const counts = countsOf(zero);
  const lanCounts = countsOf(lan);
  const kept = keptConnection(zero, lan);
  const costName = (c: Cost) => (c.name === 'zero' ? 'zero (the lab as it is: a connection costs nothing)' : `LAN-like: ${c.connectMs} ms per new connection, ${c.callMs} ms per call`);
  return [
    `## CredHop against the plain sequence and the careful administrator (${RUNS} runs each at zero cost, ${LAN_RUNS} at the LAN-like cost, side by side, medians; target: CredHop within 1.10× the careful administrator, cold and warm)`,
    '',
    'plain: the article\'s five commands (reads nothing, verifies nothing, Disable-WSManCredSSP strips every wsman/* entry).',
    'careful: the same care as CredHop, by hand in one PowerShell: reads both machines first, makes CredHop\'s changes with the',
    'runbook `credhop runbook --practice` writes (the wizard\'s Export as script), reads back after each step, tests, restores',
    'exactly what was read (the runbook\'s -Restore) and reads both machines again; each read of the jump server is its own',
    'Invoke-Command. CredHop: the practice flow in-process (journal, audit log, scheduled restore armed on both machines,',
    'one kept management connection to the jump server).',
    '',
    '| connection cost | plain | careful | CredHop | CredHop / careful | CredHop / plain | warm: plain | warm: careful | warm: CredHop | warm: CredHop / careful |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(({ c, s }) => `| ${costName(c.cost)} | ${s.cold.plainMs} ms | ${s.cold.carefulMs} ms | ${s.cold.credhopMs} ms | ${s.cold.ratioToCareful} | ${s.cold.ratioToPlain} | ${s.warm.plainMs} ms | ${s.warm.carefulMs} ms | ${s.warm.credhopMs} ms | ${s.warm.ratioToCareful} |`),
    '',
    'Cold: from spawning a fresh PowerShell to both machines restored. Warm: the same steps again in the same process (median',
    `of ${WARM_PASSES} passes, start excluded), once every function has been used.`,
    '',
    `### What one kept management connection is worth (at ${kept.connectMs} ms per connection, ${kept.callMs} ms per call)`,
    '',
    `New connections in the whole flow: plain ${kept.connections.plain} (to the jump server: ${kept.toJumpServer.plain}), careful ${kept.connections.careful} (${kept.toJumpServer.careful}), CredHop ${kept.connections.credhop} (${kept.toJumpServer.credhop});`,
    `calls over a kept connection: CredHop ${kept.callsOverKept.credhop}, the others ${kept.callsOverKept.plain} and ${kept.callsOverKept.careful}.`,
    `By the counts the network adds plain ${kept.modelMs.plain} ms, careful ${kept.modelMs.careful} ms, CredHop ${kept.modelMs.credhop} ms; measured (LAN − zero, cold medians):`,
    `plain ${kept.measuredMs.plain} ms, careful ${kept.measuredMs.careful} ms, CredHop ${kept.measuredMs.credhop} ms. Against the plain sequence's ${kept.toJumpServer.plain} connections to the jump server, CredHop's kept one`,
    `(plus the hop test's own CredSSP connection) saves ${(kept.toJumpServer.plain - kept.toJumpServer.credhop) * kept.connectMs - kept.callsOverKept.credhop * kept.callMs} ms by the model; against the careful administrator's ${kept.toJumpServer.careful}, ${(kept.toJumpServer.careful - kept.toJumpServer.credhop) * kept.connectMs - kept.callsOverKept.credhop * kept.callMs} ms.`,
    '',
    ...rows.flatMap(({ c, s }) => [
      `### Where the time goes, ${costName(c.cost)}`,
      '',
      ...phaseTableLines(s.phases),
      '',
    ]),
    'start: PowerShell started, the lab (and for CredHop its module) loaded; check: reading both machines (CredHop also plans);',
    'client/server: the change on each machine (CredHop: journaled, read back, its scheduled restore armed; careful: read back);',
    'test: the second hop; restore: both machines back (CredHop and careful: exact, read back; plain: Disable-WSManCredSSP on both).',
    'Inside PowerShell: the time CredHop waited on its PowerShell calls; its own: the rest (Node: plans, journal writes and',
    'syncs, the audit log, validation).',
    '',
    `### Counts (they do not depend on the machine; the same in every run: ${counts.sameInEveryRun && lanCounts.sameInEveryRun}, and the same at both costs: ${JSON.stringify(counts.credhop) === JSON.stringify(lanCounts.credhop) && JSON.stringify(counts.careful) === JSON.stringify(lanCounts.careful)})`,
    '',
    ...countsTableLines(counts),
    '',
    'new connections: Invoke-Command -ComputerName and New-PSSession, every host (the hop test\'s inner one to the target too);',
    'calls over a kept connection: Invoke-Command -Session; local PowerShell calls: CredHop\'s round trips to its own PowerShell;',
    'registry writes: keys and values written or removed with the item cmdlets on HKLM: and WSMan: (the plain sequence\'s',
    'Enable-/Disable-WSManCredSSP write inside the cmdlets, not counted); policy-file writes: Registry.pol saves (gpt.ini\'s',
    'version); fsyncs: CredHop\'s journal and audit log. tests/integration/flow-counts.test.ts pins CredHop\'s row.',
  ];
}

async function main(): Promise<void> {
  const only = process.argv.indexOf('--only');
  if (only >= 0 && process.argv[only + 1] === 'scan') return onlyScan();
  if (only >= 0 && process.argv[only + 1] === 'flow') return onlyFlow();
  if (only >= 0 && process.argv[only + 1] === 'startup') return onlyStartup();
  if (!process.argv.includes('--no-build')) {
    const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr.slice(-1500)}`);
  }
  // The three columns side by side, at zero cost and at a LAN-like cost per connection and per call.
  const costDir = mkdtempSync(join(tmpdir(), 'credhop-bench-costs-'));
  const runbook = runbookSteps().steps;
  const columns: Columns[] = [];
  for (const cost of costs(costDir)) columns.push(await runColumns(cost, runbook));
  rmSync(costDir, { recursive: true, force: true });
  const zero = columns.find((c) => c.cost.name === 'zero')!;
  const { plain, careful, flows } = zero;
  const secretChannel = await secretChannelCost(Number(process.env.BENCH_SECRET_CALLS ?? 15));
  const startup = await startupBench();
  const size = rendererSize();
  // After the soak: building a year of history in this process would inflate the RSS the soak reports.
  let start: Awaited<ReturnType<typeof historyStartup>> | null = null;
  let scan: ScanBench | null = null;
  const cpus = (await import('node:os')).cpus().length;
  // Written after every group of the soak, so a long run that is stopped still leaves its figures.
  const write = (soaked: { groups: SoakGroup[]; allClean: boolean }): string => {
    const firstGroup = soaked.groups[0]!;
    const lastGroup = soaked.groups[soaked.groups.length - 1]!;
    const flowsDone = Number(lastGroup.flows.split('-')[1]);
    const change = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10;
    const plainMs = median(plain.map((p) => p.ms));
    const flowMs = median(flows.map((f) => f.ms));
    const zeroSummary = summary(zero);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus, node: process.version, loadAverage: loadavg().map((l) => Math.round(l * 10) / 10) },
      runs: RUNS,
      plainSequence: { medianMs: Math.round(plainMs), processes: plain[0]!.processes, connections: plain[0]!.connections },
      credhopFlow: { medianMs: Math.round(flowMs), processes: flows[0]!.processes, connections: flows[0]!.connections, peakRssMb: Math.max(...flows.map((f) => f.peakRssMb)), restoredClean: flows.every((f) => f.clean) },
      carefulAdministrator: { medianMs: zeroSummary.cold.carefulMs, processes: careful[0]!.processes, connections: careful[0]!.connections },
      ratio: Math.round((flowMs / plainMs) * 100) / 100,
      ratioToCareful: zeroSummary.cold.ratioToCareful,
      // Where the time goes at zero cost: the median of each phase over the runs, for the three columns, and CredHop's calls.
      phases: zeroSummary.phases,
      // The same steps again in the same process (all columns): what is left once first use is paid.
      warm: zeroSummary.warm,
      // Both cost settings: whole flows, ratios and phases.
      costs: Object.fromEntries(columns.map((c) => [c.cost.name, summary(c)])),
      // Per phase and column, machine-independent (tests/integration/flow-counts.test.ts pins CredHop's).
      counts: countsOf(zero),
      keptConnection: keptConnection(zero, columns.find((c) => c.cost.name === 'lan')!),
      secretChannel,
      startup,
      rendererGzipBytes: size,
      soak: {
        flows: SOAK_FLOWS,
        flowsDone,
        groupSize: SOAK_GROUP,
        groups: soaked.groups,
        restoredClean: soaked.allClean,
        // Last group against the first, in percent (RSS after a garbage collection; time per flow).
        rssChangePct: change(firstGroup.rssMb, lastGroup.rssMb),
        medianMsChangePct: change(firstGroup.medianMs, lastGroup.medianMs),
        meanMsChangePct: change(firstGroup.meanMs, lastGroup.meanMs),
      },
      ...(start ? { historyStartup: start } : {}),
      ...(scan ? { scan } : {}),
    };
    const md = [
      `# CredHop benchmark (${result.date})`,
      '',
      `${RUNS} runs each, medians, ${result.machine.cpus} cores, Node ${result.machine.node}, load average ${result.machine.loadAverage.join(' / ')} (the machine is shared: absolute times scale with it).`,
      '',
      '| | plain article sequence | careful administrator | CredHop practice flow |',
      '|---|---|---|---|',
      `| wall time (zero cost) | ${result.plainSequence.medianMs} ms | ${result.carefulAdministrator.medianMs} ms | ${result.credhopFlow.medianMs} ms (ratio to plain ${result.ratio}, to careful ${result.ratioToCareful}) |`,
      `| PowerShell processes | ${result.plainSequence.processes} | ${result.carefulAdministrator.processes} | ${result.credhopFlow.processes} |`,
      `| connections to adfs1 | ${result.plainSequence.connections.adfs1 ?? 0} | ${result.carefulAdministrator.connections.adfs1 ?? 0} | ${result.credhopFlow.connections.adfs1 ?? 0} |`,
      `| connections to mem2 | ${result.plainSequence.connections.mem2 ?? 0} | ${result.carefulAdministrator.connections.mem2 ?? 0} | ${result.credhopFlow.connections.mem2 ?? 0} |`,
      '',
      ...columnsLines(columns),
      '',
      `## The secret channel (median of ${secretChannel.calls} alternating calls in one warm PowerShell)`,
      '',
      `The same remote call with a password on the secret channel: ${secretChannel.withSecretMs} ms; without a credential: ${secretChannel.withoutMs} ms;`,
      `difference (the channel, plus the lab's own password check): ${secretChannel.costPerCallMs} ms per call. A practice flow makes 4 calls that carry a password.`,
      '',
      `## Start-up (${startup.bundle}, median of ${RUNS} fresh processes each)`,
      '',
      '| from a fresh main process | with warm-up (as shipped) | without warm-up |',
      '|---|---|---|',
      `| Node started (main's first line runs) | ${startup.nodeStartedMs} ms | |`,
      `| the main bundle loaded (CredHop with zod bundled in; node-powershell and keytar load when first needed) | ${startup.modulesLoadedMs} ms | |`,
      `| first answer of a PowerShell-free channel (target < ${startup.targets.firstPowerShellFreeAnswerMs} ms) | ${startup.firstPowerShellFreeAnswerMs} ms | ${startup.firstPowerShellFreeAnswerWithoutWarmUpMs} ms |`,
      `| first PowerShell-free answer, counted from main's first line | ${startup.firstPowerShellFreeAnswerSinceMainMs} ms | |`,
      `| all three (profiles, settings, journal status) | ${startup.allPowerShellFreeAnswersMs} ms | |`,
      `| PowerShell warm (started, module and lab loaded) | ${startup.warmUpDoneMs} ms | |`,
      `| first check, asked once PowerShell is warm (same moment without warm-up) | ${startup.firstCheckAfterClickMs} ms (${(startup.firstCheckAfterClickMs / startup.warmCheckMs).toFixed(2)}× warm) | ${startup.firstCheckAfterClickWithoutWarmUpMs} ms (${(startup.firstCheckAfterClickWithoutWarmUpMs / startup.warmCheckMs).toFixed(2)}× warm) |`,
      `| first check, asked at once (worst case) | ${startup.firstCheckAtOnceMs} ms | |`,
      `| a check in a warm process (target: first check ≤ ${startup.targets.firstCheckMaxRatioToWarm}× this) | ${startup.warmCheckMs} ms | |`,
      `| a check in a warm process over a new connection (after Clean up now ended the kept one) | ${startup.warmNewConnectionCheckMs} ms (first check: ${startup.firstCheckRatioToWarmNewConnection}× this) | |`,
      '',

      `- Renderer size, gzip: JS ${result.rendererGzipBytes.js} B, CSS ${result.rendererGzipBytes.css} B`,
      `- Main process peak RSS during the flow: ${result.credhopFlow.peakRssMb} MB`,
      `- Both machines equal their snapshot after every CredHop run: ${result.credhopFlow.restoredClean}`,
      '',
      'The plain sequence does no snapshot, no verification and no exact restore (Disable-WSManCredSSP strips',
      'every wsman/* entry and forces the flags off); CredHop reads both machines first and after each step.',
      '',
      `## Soak: ${SOAK_FLOWS} flows back to back in one main process${flowsDone < SOAK_FLOWS ? ` (${flowsDone} done so far)` : ''}`,
      '',
      'Check, both apply steps, test and restore, one set of services and one hop engine on the practice lab.',
      'RSS and heap are read after a garbage collection at the end of each group; peak RSS is sampled during it. Heap used is',
      'the live JavaScript heap; reserved (V8\'s heapTotal) grows in steps up to a fixed cap and RSS follows it.',
      '',
      '| flows | RSS | peak RSS | heap used (reserved) | PowerShell processes (total) | median per flow | mean per flow | journal | open sessions | audit log (files) |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...soaked.groups.map((g) => `| ${g.flows} | ${g.rssMb} MB | ${g.peakRssMb} MB | ${g.heapUsedMb} MB (${g.heapTotalMb} MB) | ${g.powershellProcesses} | ${g.medianMs} ms | ${g.meanMs} ms | ${g.journalBytes} B | ${g.openSessions} | ${g.auditBytes} B (${g.auditFiles}) |`),
      '',
      `- Last group against the first: RSS ${result.soak.rssChangePct} %, median per flow ${result.soak.medianMsChangePct} %, mean per flow ${result.soak.meanMsChangePct} %`,
      `- Both machines equal their snapshot after every flow: ${soaked.allClean}`,
      ...(start ? historyStartupLines(start) : []),
      ...(scan ? ['', ...scanBenchLines(scan)] : []),
    ].join('\n');
    mkdirSync(join(ROOT, 'bench'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(ROOT, 'bench', 'latest.md'), `${md}\n`);
    return md;
  };
  const soaked = await soak((groups, allClean) => void write({ groups, allClean }));
  start = await historyStartup(flows[0]!.material);
  write(soaked);
  scan = await scanBench(ROOT);
  const md = write(soaked);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
