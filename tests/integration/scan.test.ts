// The estate scan on real pwsh and the lab: a generated 50-host estate reported exactly (every kind of
// finding where it was planted, nothing on clean hosts), failures as findings, cancel keeps what arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseComputerList } from '../../src/main/scan/computers';
import { runScan } from '../../src/main/scan/scanner';
import { FINDING_KINDS, type FindingKind, type ScanReport } from '../../src/shared/domain/scan';
import { generateEstate } from '../support/estate-lab';
import { startLab, type LabRun } from './lab-fixture';

const estate = generateEstate({ hosts: 50, seed: 14, latencyMs: 20 });

function kindsOf(report: ScanReport): Record<string, FindingKind[]> {
  const out: Record<string, FindingKind[]> = {};
  for (const m of report.machines) out[m.computer] = m.findings.map((f) => f.kind).sort();
  return out;
}

describe('estate scan of a generated 50-host lab', () => {
  let lab: LabRun;
  let report: ScanReport;
  const progress: { done: number; total: number }[] = [];

  beforeAll(async () => {
    lab = startLab(estate.lab);
    const list = parseComputerList(['# generated estate', '', ...estate.names].join('\n'));
    expect(list.problems).toEqual([]);
    report = await runScan(lab.services.engine()!, list.names, { throttle: 16, onProgress: (p) => progress.push({ done: p.done, total: p.total }) });
  }, 600_000);
  afterAll(async () => {
    await lab?.dispose();
  });

  it('reports every machine once, each with exactly the findings planted there, and clean machines with none', () => {
    expect(report.complete).toBe(true);
    expect(report.machines.map((m) => m.computer).sort()).toEqual([...estate.names].sort());
    expect(kindsOf(report)).toEqual(estate.expected);
    // every kind the lab can show is there at least once (tasks: the lab has no Task Scheduler; sessions: below)
    const seen = new Set(Object.values(kindsOf(report)).flat());
    for (const k of FINDING_KINDS) if (!['credhop-task', 'credhop-session', 'scan-failed'].includes(k)) expect(seen, k).toContain(k);
    expect(Object.values(estate.expected).filter((k) => k.length === 0).length).toBeGreaterThan(5);
  });

  it('explains each finding in plain words with the fix as PowerShell naming the machine', () => {
    for (const m of report.machines) {
      for (const f of m.findings) {
        expect(f.explanation.length).toBeGreaterThan(20);
        expect(f.fix).toContain(`'${m.computer}'`);
      }
    }
    const wildcard = report.machines.find((m) => m.findings.some((f) => f.kind === 'wildcard-entry'))!;
    expect(wildcard.findings.find((f) => f.kind === 'wildcard-entry')!.explanation).toContain('wsman/*.estate.pri');
    // Task Scheduler is not in the lab: unknown, never "none"
    expect(report.machines.filter((m) => m.status === 'answered').every((m) => m.credhopTasks === null)).toBe(true);
  });

  it('streamed progress: one event per machine, done counting up to the total', () => {
    expect(progress[0]).toEqual({ done: 0, total: estate.names.length });
    expect(progress.at(-1)).toEqual({ done: estate.names.length, total: estate.names.length });
    expect(progress.length).toBe(estate.names.length + 1);
  });
});
