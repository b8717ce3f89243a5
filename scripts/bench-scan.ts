// The estate scan in the benchmark: generated estates of N machines with a per-connection latency L,
// scanned at throttle T, wall time against the ideal N·L/T, and the main process's peak memory.
// Sizes and throttles come from the environment so CI stays brief:
//   BENCH_SCAN_HOSTS=50,200,500  BENCH_SCAN_THROTTLES=1,32  BENCH_SCAN_LATENCY_MS=200
//   BENCH_SCAN_SERIAL_MAX=500 (throttle 1 only up to this many machines: it takes N·L)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  ratioToIdeal: number;
  rssBeforeMb: number;
  peakRssMb: number;
  /** Every machine reported, with exactly the findings planted. */
  exact: boolean;
}

export interface ScanBench {
  latencyMs: number;
  openTimeoutMs: number;
  labInitMs: Record<string, number>;
  rows: ScanBenchRow[];
}

const list = (v: string | undefined, d: number[]): number[] => (v ? v.split(',').map((x) => Number(x.trim())).filter((x) => Number.isFinite(x) && x > 0) : d);
const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;

export async function scanBench(root: string): Promise<ScanBench> {
  const sizes = list(process.env.BENCH_SCAN_HOSTS, [50, 200, 500]);
  const throttles = list(process.env.BENCH_SCAN_THROTTLES, [1, 32]);
  const latencyMs = Number(process.env.BENCH_SCAN_LATENCY_MS ?? 200);
  const serialMax = Number(process.env.BENCH_SCAN_SERIAL_MAX ?? 500);
  const openTimeoutMs = 1000;
  const rows: ScanBenchRow[] = [];
  const labInitMs: Record<string, number> = {};
  for (const hosts of sizes) {
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
      labInitMs[String(hosts)] = Math.round(performance.now() - t0);
      const unreachable = Object.values(estate.expected).filter((k) => k.includes('unreachable')).length;
      for (const throttle of throttles) {
        if (throttle === 1 && hosts > serialMax) continue;
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
        const idealMs = Math.round(((estate.names.length - unreachable) * latencyMs + unreachable * openTimeoutMs) / throttle);
        const exact =
          report.complete &&
          report.machines.length === estate.names.length &&
          report.machines.every((m) => JSON.stringify(m.findings.map((f) => f.kind).sort()) === JSON.stringify(estate.expected[m.computer]));
        rows.push({ hosts, throttle, latencyMs, wallMs, idealMs, ratioToIdeal: Math.round((wallMs / idealMs) * 100) / 100, rssBeforeMb: mb(rssBefore), peakRssMb: mb(peak), exact });
        console.error(`scan bench: ${hosts} machines, throttle ${throttle}: ${wallMs} ms (ideal ${idealMs} ms), peak RSS ${mb(peak)} MB, exact ${exact}`);
      }
    } finally {
      await services.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { latencyMs, openTimeoutMs, labInitMs, rows };
}

export function scanBenchLines(s: ScanBench): string[] {
  const t32 = s.rows.filter((r) => r.throttle > 1);
  const growth =
    t32.length >= 2
      ? `From ${t32[0]!.hosts} to ${t32[t32.length - 1]!.hosts} machines at throttle ${t32[0]!.throttle}, wall time grew ${(t32[t32.length - 1]!.wallMs / t32[0]!.wallMs).toFixed(1)}× for ${(t32[t32.length - 1]!.hosts / t32[0]!.hosts).toFixed(1)}× the machines; peak RSS went from ${t32[0]!.peakRssMb} MB to ${t32[t32.length - 1]!.peakRssMb} MB.`
      : '';
  return [
    `## Estate scan (generated estates, latency L = ${s.latencyMs} ms per connection, open time-out ${s.openTimeoutMs} ms for the unreachable)`,
    '',
    'One Invoke-Command over the list at throttle T; each machine\'s answer streamed to main as it arrives and turned into findings there.',
    'Ideal = (answering machines × L + unreachable × open time-out) / T, what WinRM\'s fan-out would take if the machines did the work.',
    '',
    '| machines | throttle | wall time | ideal N·L/T | ratio | main RSS before | main peak RSS | report exact |',
    '|---|---|---|---|---|---|---|---|',
    ...s.rows.map((r) => `| ${r.hosts} | ${r.throttle} | ${r.wallMs} ms | ${r.idealMs} ms | ${r.ratioToIdeal} | ${r.rssBeforeMb} MB | ${r.peakRssMb} MB | ${r.exact} |`),
    '',
    `Seeding the lab (not measured above): ${Object.entries(s.labInitMs).map(([n, ms]) => `${n} machines ${ms} ms`).join(', ')}.`,
    ...(growth ? ['', growth] : []),
    '',
    'In the lab every machine\'s script runs in the one PowerShell process, one at a time (the lab\'s Windows shares',
    'one process environment), so at a high throttle the wall time is bound by the lab\'s own CPU per machine,',
    'not by L/T; on Windows that work happens on N different machines. Throttle 1 shows the N·L part plainly.',
  ];
}
