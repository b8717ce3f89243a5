// The estate scan in the benchmark: generated estates of N machines with a per-connection latency L,
// scanned at throttle T: wall time against the ideal N·L/T and against what the lab itself can do (its
// serialized CPU per machine c, from the lab's own account), and the main process's peak memory.
// Sizes, latencies and throttles come from the environment so CI stays brief:
//   BENCH_SCAN_HOSTS=50,200,500  BENCH_SCAN_THROTTLES=1,32  BENCH_SCAN_LATENCIES=1000,200
//   (BENCH_SCAN_LATENCY_MS=<one latency> still works when BENCH_SCAN_LATENCIES is not set)
//   BENCH_SCAN_SERIAL_BUDGET_MS=150000: throttle 1 only where N·L fits in it (it takes N·L by definition)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { runScan } from '../src/main/scan/scanner';
import { createMainServices } from '../src/main/services';
import { generateEstate } from '../tests/support/estate-lab';

export interface ScanBenchRow {
  hosts: number;
  throttle: number;
  latencyMs: number;
  wallMs: number;
  /** (machines that answer × L + unreachable × open time-out) / T: what WinRM's fan-out would take. */
  idealMs: number;
  /** The lab's own account: time its host scripts ran, one after another, on the scanning thread. */
  labWorkMs: number;
  /** Machines whose script ran (answered). */
  labRan: number;
  /** labWorkMs / labRan: the lab's CPU per machine, c. */
  labPerMachineMs: number;
  /** max(ideal + labWorkMs / T, labWorkMs): no scan of this lab can be faster (T = 1: N·L + N·c). */
  boundMs: number;
  ratioToIdeal: number;
  ratioToBound: number;
  rssBeforeMb: number;
  peakRssMb: number;
  /** Every machine reported, with exactly the findings planted. */
  exact: boolean;
}

export interface ScanBench {
  latencies: number[];
  openTimeoutMs: number;
  /** Seeding each lab (a fresh PowerShell loading the estate), per "<hosts>@<latency>": not part of a scan. */
  labInitMs: Record<string, number>;
  /** The first scan in that fresh PowerShell (up to 50 machines, not in the rows): its time and the lab's c then. */
  warmUp: Record<string, { machines: number; ms: number; labPerMachineMs: number }>;
  rows: ScanBenchRow[];
}

const list = (v: string | undefined, d: number[]): number[] => (v ? v.split(',').map((x) => Number(x.trim())).filter((x) => Number.isFinite(x) && x > 0) : d);
const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;
const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);
const fanOutAccount = z.object({ fanOut: z.object({ hosts: z.number(), ran: z.number(), runMs: z.number(), wallMs: z.number() }).nullable().optional() });
const WARM_UP_MACHINES = 50;

export async function scanBench(root: string): Promise<ScanBench> {
  const sizes = list(process.env.BENCH_SCAN_HOSTS, [50, 200, 500]);
  const throttles = list(process.env.BENCH_SCAN_THROTTLES, [1, 32]);
  const latencies = process.env.BENCH_SCAN_LATENCIES ? list(process.env.BENCH_SCAN_LATENCIES, [1000, 200]) : process.env.BENCH_SCAN_LATENCY_MS ? list(process.env.BENCH_SCAN_LATENCY_MS, [200]) : [1000, 200];
  const serialBudgetMs = Number(process.env.BENCH_SCAN_SERIAL_BUDGET_MS ?? 150_000);
  const openTimeoutMs = 1000;
  const rows: ScanBenchRow[] = [];
  const labInitMs: Record<string, number> = {};
  const warmUp: ScanBench['warmUp'] = {};
  for (const latencyMs of latencies) {
    for (const hosts of sizes) {
      const key = `${hosts}@${latencyMs}`;
      const estate = generateEstate({ hosts, seed: 14, latencyMs });
      const dir = mkdtempSync(join(tmpdir(), 'credhop-bench-scan-'));
      const labFile = join(dir, 'estate.json');
      writeFileSync(labFile, JSON.stringify(estate.lab));
      const services = createMainServices({ dataDir: dir, root, practice: { labFile, reset: true, stateDirName: 'estate-state' } });
      const engine = services.engine()!;
      try {
        // Seeding the lab (not part of the scan): the first call starts PowerShell and loads the estate.
        const t0 = performance.now();
        await engine.info();
        labInitMs[key] = Math.round(performance.now() - t0);
        // A fresh PowerShell compiles the lab's and the scan's code as it is used (its c falls over the first
        // hundred machines or so): a first scan, reported on its own, so the rows compare steady states.
        const warm = estate.names.slice(0, WARM_UP_MACHINES);
        const w0 = performance.now();
        await runScan(engine, warm, { throttle: 32, openTimeoutMs });
        const wAccount = (await engine.lab('Get-CredHopLabState', { fanOut: true }, fanOutAccount)).fanOut;
        warmUp[key] = { machines: warm.length, ms: Math.round(performance.now() - w0), labPerMachineMs: wAccount && wAccount.ran > 0 ? Math.round(wAccount.runMs / wAccount.ran) : 0 };
        const unreachable = Object.values(estate.expected).filter((k) => k.includes('unreachable')).length;
        for (const throttle of throttles) {
          if (throttle === 1 && hosts * latencyMs > serialBudgetMs) continue;
          global.gc?.();
          const rssBefore = process.memoryUsage().rss;
          let peak = rssBefore;
          const sampler = setInterval(() => {
            peak = Math.max(peak, process.memoryUsage().rss);
          }, 50);
          const start = performance.now();
          const report = await runScan(engine, estate.names, { throttle, openTimeoutMs });
          const wallMs = Math.round(performance.now() - start);
          clearInterval(sampler);
          peak = Math.max(peak, process.memoryUsage().rss);
          const account = (await engine.lab('Get-CredHopLabState', { fanOut: true }, fanOutAccount)).fanOut;
          const labWorkMs = account?.runMs ?? 0;
          const labRan = account?.ran ?? 0;
          const idealMs = Math.round(((estate.names.length - unreachable) * latencyMs + unreachable * openTimeoutMs) / throttle);
          const boundMs = Math.round(Math.max(idealMs + labWorkMs / throttle, labWorkMs));
          const exact =
            report.complete &&
            report.machines.length === estate.names.length &&
            report.machines.every((m) => JSON.stringify(m.findings.map((f) => f.kind).sort()) === JSON.stringify(estate.expected[m.computer]));
          rows.push({
            hosts,
            throttle,
            latencyMs,
            wallMs,
            idealMs,
            labWorkMs,
            labRan,
            labPerMachineMs: labRan > 0 ? Math.round(labWorkMs / labRan) : 0,
            boundMs,
            ratioToIdeal: ratio(wallMs, idealMs),
            ratioToBound: ratio(wallMs, boundMs),
            rssBeforeMb: mb(rssBefore),
            peakRssMb: mb(peak),
            exact,
          });
          console.error(`scan bench: ${hosts} machines, L ${latencyMs} ms, throttle ${throttle}: ${wallMs} ms (ideal ${idealMs} ms, lab work ${labWorkMs} ms for ${labRan} machines), peak RSS ${mb(peak)} MB, exact ${exact}`);
        }
      } finally {
        await services.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return { latencies, openTimeoutMs, labInitMs, warmUp, rows };
}

function growthLine(rows: ScanBenchRow[], latencyMs: number): string {
  const t = rows.filter((r) => r.latencyMs === latencyMs && r.throttle > 1);
  if (t.length < 2) return '';
  const a = t[0]!;
  const b = t[t.length - 1]!;
  return `At L = ${latencyMs} ms, from ${a.hosts} to ${b.hosts} machines at throttle ${a.throttle}: wall time grew ${(b.wallMs / a.wallMs).toFixed(1)}× for ${(b.hosts / a.hosts).toFixed(1)}× the machines; peak RSS went from ${a.peakRssMb} MB to ${b.peakRssMb} MB.`;
}

/** Which regime each latency's parallel rows are in, and how close they come to the ideal and to the bound. */
function regimeLine(rows: ScanBenchRow[], latencyMs: number): string {
  const t = rows.filter((r) => r.latencyMs === latencyMs && r.throttle > 1);
  if (t.length === 0) return '';
  const span = (xs: number[]): string => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}–${Math.max(...xs)}`);
  const networkBound = t.filter((r) => r.idealMs >= r.labWorkMs).length;
  const regime =
    networkBound === t.length
      ? 'network-bound (N·L/T is larger than the lab\'s N·c): the target N·L/T applies'
      : networkBound === 0
        ? 'lab-bound (the lab\'s N·c is larger than N·L/T): N·L/T cannot be met in one process, the bound can'
        : `network-bound in ${networkBound} of ${t.length} rows, lab-bound in the others`;
  return `At L = ${latencyMs} ms and throttle ${span(t.map((r) => r.throttle))}: ${regime}; wall is ${span(t.map((r) => r.ratioToIdeal))}× the ideal and ${span(t.map((r) => r.ratioToBound))}× the bound.`;
}

export function scanBenchLines(s: ScanBench): string[] {
  const growth = s.latencies.map((l) => growthLine(s.rows, l)).filter((l) => l !== '');
  const regimes = s.latencies.map((l) => regimeLine(s.rows, l)).filter((l) => l !== '');
  const cs = s.rows.filter((r) => r.labRan > 0).map((r) => r.labPerMachineMs);
  const cRange = cs.length > 0 ? `${Math.min(...cs)}–${Math.max(...cs)} ms` : 'not measured';
  return [
    `## Estate scan (generated estates, latency L per connection: ${s.latencies.map((l) => `${l} ms`).join(' and ')}; open time-out ${s.openTimeoutMs} ms for the unreachable)`,
    '',
    "One Invoke-Command over the list at throttle T; each machine's answer streamed to main as it arrives and turned into findings there.",
    "Ideal = (answering machines × L + unreachable × open time-out) / T: what WinRM's fan-out would take if the machines did the work.",
    'L = 1000 ms is a realistic cost of one machine in a WinRM fan-out: TCP connect, Kerberos (service ticket and AP exchange),',
    'creating the remote shell (WinRM starts a wsmprovhost process on the target), running the script, receiving, closing: half a second',
    'to two seconds per machine on a LAN. L = 200 ms is a fast network with little to do, where the lab itself becomes the limit.',
    "Lab work N·c = the lab's own account of the time its host scripts ran one after another on the scanning thread (c per machine,",
    'entering the host and copying its answer included); bound = max(ideal + N·c/T, N·c): no scan of this lab can be faster.',
    '',
    '| machines | L | throttle | wall time | ideal N·L/T | lab work N·c (c) | bound | wall / ideal | wall / bound | main RSS before | main peak RSS | report exact |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...s.rows.map(
      (r) =>
        `| ${r.hosts} | ${r.latencyMs} ms | ${r.throttle} | ${r.wallMs} ms | ${r.idealMs} ms | ${r.labWorkMs} ms (${r.labPerMachineMs} ms) | ${r.boundMs} ms | ${r.ratioToIdeal} | ${r.ratioToBound} | ${r.rssBeforeMb} MB | ${r.peakRssMb} MB | ${r.exact} |`,
    ),
    '',
    ...regimes,
    ...(growth.length > 0 ? ['', ...growth] : []),
    '',
    `Seeding each lab (a fresh PowerShell loading the estate; not measured above): ${Object.entries(s.labInitMs).map(([k, ms]) => `${k.replace('@', ' machines at L ')} ms: ${ms} ms`).join(', ')}.`,
    `The first scan in that fresh PowerShell (not in the rows; PowerShell compiles the lab's and the scan's code as it runs, so c starts higher): ${Object.entries(s.warmUp).map(([k, w]) => `${w.machines} machines of the ${k.split('@')[0]}-machine estate at L ${k.split('@')[1]} ms: ${w.ms} ms, c ${w.labPerMachineMs} ms`).join('; ')}.`,
    '',
    "Where the time goes: a connection in flight costs the lab nothing (it is a due time), so the N·L/T part overlaps as on Windows. Each",
    "machine's script then runs in the lab's one PowerShell process, one machine at a time: the lab's Windows shares one process",
    "environment ($env:SystemRoot is the machine being run), and its emulated cmdlets are PowerShell functions. That serialized work,",
    `c = ${cRange} per machine in these rows, is what on Windows happens on N different machines at once. So wall ≈ max(N·L/T, N·c):`,
    'with L/T = 31 ms (L = 1000 ms, T = 32) the network part can dominate; with L/T = 6 ms (L = 200 ms) no PowerShell-emulated machine fits,',
    'and the lab, not the network, sets the time. Throttle 1 shows the N·L part plainly (there wall ≈ N·L + N·c).',
  ];
}
