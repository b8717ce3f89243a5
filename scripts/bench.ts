// `npm run bench`: CredHop's practice flow against the article's plain command sequence in the same
// lab. Measures wall time, PowerShell processes started and remote connections per host (the lab
// counts them), the time from a fresh main process to the first IPC answer, the renderer's size
// (gzip), and the main process' peak memory during the flow. Writes bench/latest.json and .md.
// A measurement, not a test: nothing here passes or fails on a number.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { createMainServices } from '../src/main/services';
import { createRouter } from '../src/main/ipc/router';
import { PRACTICE_PASSWORD, PRACTICE_TARGET } from '../src/main/hop/practice';

const ROOT = resolve(__dirname, '..');
const PWSH = join(ROOT, '.tools', 'pwsh', 'pwsh');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const labView = z.object({ counters: z.object({ processes: z.number(), connections: z.record(z.string(), z.number()) }) }).passthrough();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

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
async function credhopFlow(): Promise<{ ms: number; processes: number; connections: Record<string, number>; peakRssMb: number; clean: boolean }> {
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
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (!test.ok) throw new Error('the hop test failed during the benchmark');
  return { ms, processes, connections: state.counters.connections, peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10, clean: report.clean };
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
  const plainMs = median(plain.map((p) => p.ms));
  const flowMs = median(flows.map((f) => f.ms));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    runs: RUNS,
    plainSequence: { medianMs: Math.round(plainMs), processes: plain[0]!.processes, connections: plain[0]!.connections },
    credhopFlow: { medianMs: Math.round(flowMs), processes: flows[0]!.processes, connections: flows[0]!.connections, peakRssMb: Math.max(...flows.map((f) => f.peakRssMb)), restoredClean: flows.every((f) => f.clean) },
    ratio: Math.round((flowMs / plainMs) * 100) / 100,
    firstIpcAnswerMs: Math.round(median(firsts)),
    rendererGzipBytes: size,
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
  ].join('\n');
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(ROOT, 'bench', 'latest.md'), `${md}\n`);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
