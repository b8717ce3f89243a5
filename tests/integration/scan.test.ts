// The estate scan on real pwsh and the lab: a generated 50-host estate reported exactly (every kind of
// finding where it was planted, nothing on clean hosts), failures as findings, cancel keeps what arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseComputerList } from '../../src/main/scan/computers';
import { runScan } from '../../src/main/scan/scanner';
import { FINDING_KINDS, type FindingKind, type ScanReport } from '../../src/shared/domain/scan';
import { generateEstate } from '../support/estate-lab';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sessionRefs } from '../../src/main/scan/scanner';
import { ARTICLE, CRED, articleLab, startLab, type LabRun } from './lab-fixture';

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
    // The lab's Task Scheduler answers: no CredHop task on a generated host ("none", not "unknown")
    expect(report.machines.filter((m) => m.status === 'answered').every((m) => Array.isArray(m.credhopTasks) && m.credhopTasks.length === 0)).toBe(true);
  });

  it('streamed progress: one event per machine, done counting up to the total', () => {
    expect(progress[0]).toEqual({ done: 0, total: estate.names.length });
    expect(progress.at(-1)).toEqual({ done: estate.names.length, total: estate.names.length });
    expect(progress.length).toBe(estate.names.length + 1);
  });
});

describe('cancel, and CredHop\'s own open session in the report', () => {
  it('cancel mid-scan stops it and keeps every machine that answered before', async () => {
    const small = generateEstate({ hosts: 12, seed: 7, latencyMs: 400, missing: 0 });
    const lab = startLab(small.lab);
    try {
      const abort = new AbortController();
      const report = await runScan(lab.services.engine()!, small.names, {
        throttle: 2,
        signal: abort.signal,
        onProgress: (p) => {
          if (p.done === 3) abort.abort();
        },
      });
      expect(report.complete).toBe(false);
      expect(report.stoppedBecause).toMatch(/cancelled/);
      expect(report.machines.length).toBeGreaterThanOrEqual(3);
      expect(report.machines.length).toBeLessThan(small.names.length);
      for (const m of report.machines) expect(m.findings.map((f) => f.kind).sort()).toEqual(small.expected[m.computer]);
    } finally {
      await lab.dispose();
    }
  }, 600_000);

  it('a machine CredHop changed in an open session says so, and the one-click restore from the report cleans it', async () => {
    const lab = startLab(articleLab());
    try {
      const checked = await lab.hop.check(ARTICLE, CRED);
      const session = lab.hop.beginSession(ARTICLE, checked.snapshot!, 60);
      await lab.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
      await lab.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
      const engine = lab.services.engine()!;
      const names = ['adfs1.company.pri', 'mem2', 'dc1'];
      const before = await runScan(engine, names, { sessions: sessionRefs(lab.hop.openSessions(), true) });
      const adfs1 = before.machines.find((m) => m.computer === 'adfs1.company.pri')!;
      expect(adfs1.findings.map((f) => f.kind).sort()).toEqual(['credhop-session', 'server-credssp']);
      expect(adfs1.findings.find((f) => f.kind === 'credhop-session')!.session).toBe(session);
      // the client (dc1, this machine) delegates to the jump server and is part of the session too
      const dc1 = before.machines.find((m) => m.computer === 'dc1')!;
      expect(dc1.findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['credhop-session', 'client-delegates', 'client-credssp']));
      expect(before.machines.find((m) => m.computer === 'mem2')!.findings).toEqual([]);
      // the report's one-click restore is the app's: restore the open sessions
      const restored = await lab.hop.restoreAll(() => CRED, 'scan');
      expect(restored.clean).toBe(true);
      const after = await runScan(engine, names, { sessions: sessionRefs(lab.hop.openSessions(), true) });
      for (const m of after.machines) expect(m.findings, m.computer).toEqual([]);
    } finally {
      await lab.dispose();
    }
  }, 600_000);
});

describe('credhop scan (the command line)', () => {
  const run = promisify(execFile);
  const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const r = await run('npx', ['tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, CREDHOP_DATA_DIR: mkdtempSync(join(tmpdir(), 'credhop-cli-')) }, maxBuffer: 20_000_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const dir = mkdtempSync(join(tmpdir(), 'credhop-scan-cli-'));
  const labFile = join(dir, 'lab.json');
  writeFileSync(labFile, JSON.stringify(articleLab()));

  it('exit 0 when every machine is clean, 1 when anything is found (with the fix), 2 for a bad line (with its number)', async () => {
    const clean = join(dir, 'clean.txt');
    writeFileSync(clean, '# the article lab\nmem2\n\nadfs1.company.pri\n');
    const ok = await cli(['scan', '--computers', clean, '--lab', labFile, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as ScanReport;
    expect(report.machines.map((m) => m.computer).sort()).toEqual(['adfs1.company.pri', 'mem2']);

    const csv = join(dir, 'estate.csv');
    writeFileSync(csv, 'ComputerName,Owner\nmem2,ops\nretired9.company.pri,ops\n');
    const found = await cli(['scan', '--computers', csv, '--lab', labFile, '--throttle', '4']);
    expect(found.code, found.stderr).toBe(1);
    expect(found.stdout).toContain('retired9.company.pri:');
    expect(found.stdout).toContain("Resolve-DnsName -Name 'retired9.company.pri'");
    expect(found.stderr).toMatch(/2\/2 machines done/);

    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'mem2\nbad name!\n');
    const refused = await cli(['scan', '--computers', bad, '--lab', labFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('line 2');
    expect(refused.stderr).toContain('Nothing was scanned');
    const throttle = await cli(['scan', '--computers', clean, '--throttle', '0']);
    expect(throttle.code).toBe(2);
  }, 600_000);
});
