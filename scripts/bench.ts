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
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { createMainServices } from '../src/main/services';
import { createRouter } from '../src/main/ipc/router';
import { PRACTICE_PASSWORD, PRACTICE_TARGET } from '../src/main/hop/practice';
import { AUDIT_FILE_NAME, auditLine, DEFAULT_AUDIT_MAX_BYTES, monthOf, rotatedName, rotationDue, type AuditEntry } from '../src/main/hop/audit';
import { Journal, type JournalRecord } from '../src/main/hop/journal';
import type { Plan, Snapshot } from '../src/shared/domain/hop';

const ROOT = resolve(__dirname, '..');
const PWSH = join(ROOT, '.tools', 'pwsh', 'pwsh');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SOAK_FLOWS = Number(process.env.BENCH_SOAK_FLOWS ?? 500);
/** Flows per reported group: a hundred for the full soak, a fifth of a short (CI) one. */
const SOAK_GROUP = Number(process.env.BENCH_SOAK_GROUP ?? (SOAK_FLOWS >= 500 ? 100 : Math.max(1, Math.ceil(SOAK_FLOWS / 5))));
const HISTORY_SESSIONS = Number(process.env.BENCH_HISTORY_SESSIONS ?? 7000);
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 9);
const labView = z.object({ counters: z.object({ processes: z.number(), connections: z.record(z.string(), z.number()) }) }).passthrough();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);
/** Released garbage is not what we measure: collect first when run with --expose-gc (npm run bench is). */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

/** The article's commands, by hand, in one fresh pwsh over a fresh lab. */
function plainSequence(): { ms: number; processes: number; connections: Record<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-plain-'));
  const payload = Buffer.from(JSON.stringify({ labFile: join(ROOT, 'tests/lab/default-lab.json'), stateDir: join(dir, 'lab'), reset: true })).toString('base64');
  const script = [
    `Import-Module '${join(ROOT, 'tests/lab/CredHopLab.psd1')}' -Global -DisableNameChecking | Out-Null`,
    `Initialize-CredHopLab -Payload '${payload}' | Out-Null`,
    "$ErrorActionPreference = 'Stop'",
    'Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null',
    'Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { Enable-WSManCredSSP -Role Server -Force } | Out-Null',
    `$cred = [pscredential]::new('COMPANY\\Administrator', (ConvertTo-SecureString '${PRACTICE_PASSWORD}' -AsPlainText -Force))`,
    'Invoke-Command -ComputerName adfs1.company.pri -Authentication CredSSP -Credential $cred -ScriptBlock { Invoke-Command -ComputerName mem2.company.pri -ScriptBlock { hostname } } | Out-Null',
    'Disable-WSManCredSSP -Role Client | Out-Null',
    'Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { Disable-WSManCredSSP -Role Server } | Out-Null',
    `[Console]::Out.WriteLine((Get-CredHopLabState -Payload '${Buffer.from('{}').toString('base64')}'))`,
  ].join('\n');
  const t0 = performance.now();
  const r = spawnSync(PWSH, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '-'], { input: script, encoding: 'utf8' });
  const ms = performance.now() - t0;
  const line = r.stdout.split('\n').find((l) => l.includes('CREDHOP:'));
  if (!line) throw new Error(`plain sequence failed: ${r.stderr.slice(0, 500)}`);
  const state = labView.parse((JSON.parse(line.slice(line.indexOf('CREDHOP:') + 8)) as { data: unknown }).data);
  rmSync(dir, { recursive: true, force: true });
  return { ms, processes: state.counters.processes, connections: state.counters.connections };
}

/** CredHop's flow: check, plan, client, server, test, restore (with snapshot and verification), in-process. */
async function credhopFlow(): Promise<{ ms: number; processes: number; connections: Record<string, number>; peakRssMb: number; clean: boolean; material: Material }> {
  const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-flow-'));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const services = createMainServices({ dataDir: dir, root: ROOT, practice: { reset: true } });
  const hop = services.hop()!;
  const target = { profileId: 'bench', profileName: 'bench', ...PRACTICE_TARGET };
  const cred = { userName: PRACTICE_TARGET.account, password: PRACTICE_PASSWORD };
  const checked = await hop.check(target, cred);
  const session = hop.beginSession(target, checked.snapshot!, 60);
  await hop.apply('client', target, checked.plan!, session, cred);
  await hop.apply('server', target, checked.plan!, session, cred);
  const test = await hop.test(target, cred, 'credssp');
  const report = await hop.restoreAll(() => cred, 'bench');
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const state = await services.engine()!.lab('Get-CredHopLabState', {}, labView);
  const processes = services.engine()!.shell.processesStarted;
  const flowAudit = hop.audit.export().trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (!test.ok) throw new Error('the hop test failed during the benchmark');
  return { ms, processes, connections: state.counters.connections, peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10, clean: report.clean, material: { snapshot: checked.snapshot!, plan: checked.plan!, flowAudit } };
}

interface SoakGroup {
  flows: string;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
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

async function startup(material: Material) {
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

/** From a fresh Node process to the first answer of the bridge (envCheck starts PowerShell). */
function firstAnswer(): number {
  const code = `
    const t0 = performance.now();
    const { createMainServices } = require('./src/main/services');
    const { createRouter } = require('./src/main/ipc/router');
    const s = createMainServices({ dataDir: require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'credhop-first-')), root: process.cwd() });
    const r = createRouter(s.handlers, { isTrustedSender: () => true });
    r.dispatch('envCheck', { url: 'app://credhop/', isTopFrame: true, windowId: 1 }, {}, () => {}).then(async (res) => {
      const ms = performance.now();
      await s.dispose();
      console.log(JSON.stringify({ ok: res.ok, sinceProcessStart: ms, sinceFirstLine: ms - t0 }));
      process.exit(0);
    });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok?: boolean; sinceProcessStart?: number };
  if (!out.ok) throw new Error(`first answer failed: ${r.stderr.slice(0, 300)}`);
  return out.sinceProcessStart!;
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

function startupLines(start: Awaited<ReturnType<typeof startup>>): string[] {
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

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) {
    const build = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr.slice(-1500)}`);
  }
  const plain: ReturnType<typeof plainSequence>[] = [];
  const flows: Awaited<ReturnType<typeof credhopFlow>>[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    plain.push(plainSequence());
    flows.push(await credhopFlow());
  }
  const firsts = Array.from({ length: 3 }, firstAnswer);
  const size = rendererSize();
  // After the soak: building a year of history in this process would inflate the RSS the soak reports.
  let start: Awaited<ReturnType<typeof startup>> | null = null;
  const cpus = (await import('node:os')).cpus().length;
  // Written after every group of the soak, so a long run that is stopped still leaves its figures.
  const write = (soaked: { groups: SoakGroup[]; allClean: boolean }): string => {
    const firstGroup = soaked.groups[0]!;
    const lastGroup = soaked.groups[soaked.groups.length - 1]!;
    const flowsDone = Number(lastGroup.flows.split('-')[1]);
    const change = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10;
    const plainMs = median(plain.map((p) => p.ms));
    const flowMs = median(flows.map((f) => f.ms));
    const result = {
      date: new Date().toISOString(),
      machine: { cpus, node: process.version },
      runs: RUNS,
      plainSequence: { medianMs: Math.round(plainMs), processes: plain[0]!.processes, connections: plain[0]!.connections },
      credhopFlow: { medianMs: Math.round(flowMs), processes: flows[0]!.processes, connections: flows[0]!.connections, peakRssMb: Math.max(...flows.map((f) => f.peakRssMb)), restoredClean: flows.every((f) => f.clean) },
      ratio: Math.round((flowMs / plainMs) * 100) / 100,
      firstIpcAnswerMs: Math.round(median(firsts)),
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
      ...(start ? { startup: start } : {}),
    };
    const md = [
      `# CredHop benchmark (${result.date})`,
      '',
      `${RUNS} runs each, medians, ${result.machine.cpus} cores, Node ${result.machine.node}.`,
      '',
      '| | plain article sequence | CredHop practice flow |',
      '|---|---|---|',
      `| wall time | ${result.plainSequence.medianMs} ms | ${result.credhopFlow.medianMs} ms (ratio ${result.ratio}) |`,
      `| PowerShell processes | ${result.plainSequence.processes} | ${result.credhopFlow.processes} |`,
      `| connections to adfs1 | ${result.plainSequence.connections.adfs1 ?? 0} | ${result.credhopFlow.connections.adfs1 ?? 0} |`,
      `| connections to mem2 | ${result.plainSequence.connections.mem2 ?? 0} | ${result.credhopFlow.connections.mem2 ?? 0} |`,
      '',
      `- Fresh main process to first IPC answer (envCheck, starts PowerShell; includes tsx transpiling): ${result.firstIpcAnswerMs} ms`,
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
      'RSS and heap are read after a garbage collection at the end of each group; peak RSS is sampled during it.',
      '',
      '| flows | RSS | peak RSS | heap used | PowerShell processes (total) | median per flow | mean per flow | journal | open sessions | audit log (files) |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...soaked.groups.map((g) => `| ${g.flows} | ${g.rssMb} MB | ${g.peakRssMb} MB | ${g.heapUsedMb} MB | ${g.powershellProcesses} | ${g.medianMs} ms | ${g.meanMs} ms | ${g.journalBytes} B | ${g.openSessions} | ${g.auditBytes} B (${g.auditFiles}) |`),
      '',
      `- Last group against the first: RSS ${result.soak.rssChangePct} %, median per flow ${result.soak.medianMsChangePct} %, mean per flow ${result.soak.meanMsChangePct} %`,
      `- Both machines equal their snapshot after every flow: ${soaked.allClean}`,
      ...(start ? startupLines(start) : []),
    ].join('\n');
    mkdirSync(join(ROOT, 'bench'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(ROOT, 'bench', 'latest.md'), `${md}\n`);
    return md;
  };
  const soaked = await soak((groups, allClean) => void write({ groups, allClean }));
  start = await startup(flows[0]!.material);
  const md = write(soaked);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
