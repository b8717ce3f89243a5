// A real CredHop process killed (SIGKILL) right after each step of a journal compaction and of an audit
// rotation, every point in turn: afterwards every open session is still restorable, no closed one
// becomes restorable again, a running flow can still continue, and no audit entry is lost or doubled.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, ROTATION_STEPS, type AuditEntry } from '../../src/main/hop/audit';
import { COMPACTION_STEPS, Journal, type JournalRecord } from '../../src/main/hop/journal';
import { snap } from '../support/states';
import { ARTICLE, CRED, labsForEachTest, machineState } from './lab-fixture';

const CHILD = 'tests/support/crash-child.ts';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'credhop-history-crash-'));
  dirs.push(d);
  return d;
}

/** Runs the crash child; resolves with the signal that ended it (SIGKILL) or its exit code. */
function child(args: string[], stdin = ''): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code, signal) => resolve({ signal, code, stderr }));
    p.stdin.end(stdin);
  });
}

const NOW = '2026-11-25T12:30:00Z';
const begin = (session: string): JournalRecord => ({ type: 'begin', session, at: '2026-11-25T12:00:00Z', profileId: 'p', profileName: session, account: 'COMPANY\\Administrator', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', expiresAt: '2026-11-25T13:00:00Z', practice: true, snapshot: snap() });
const intent = (session: string, changeId: string): JournalRecord => ({ type: 'intent', session, changeId, at: 'x', change: { kind: 'client-credssp', host: 'client', enabled: true } });
const outcome = (session: string, changeId: string): JournalRecord => ({ type: 'outcome', session, changeId, at: 'x', ok: true });
const restored = (session: string, complete: boolean): JournalRecord => ({ type: 'restored', session, at: 'y', complete, reason: 'user', differences: complete ? [] : ['adfs1'] });

/** Open, partly restored, re-opened, running (begun, no change yet) and closed sessions, interleaved. */
function journalWithHistory(dir: string): Journal {
  const j = new Journal(dir);
  const records: JournalRecord[] = [
    begin('closed-1'), intent('closed-1', 'c1'), outcome('closed-1', 'c1'),
    begin('open'), intent('open', 'c1'), outcome('open', 'c1'),
    restored('closed-1', true),
    begin('partly'), intent('partly', 'c1'), restored('partly', false),
    begin('reopened'), intent('reopened', 'c1'), restored('reopened', true), intent('reopened', 'c2'),
    begin('closed-2'), intent('closed-2', 'c1'), outcome('closed-2', 'c1'), restored('closed-2', true),
    begin('running'),
  ];
  for (const r of records) j.append(r);
  return j;
}

function expectRestorable(j: Journal): void {
  const open = j.openSessions();
  expect(open.map((s) => s.begin.session)).toEqual(['open', 'partly', 'reopened']);
  expect(open.map((s) => s.intents.map((i) => i.changeId))).toEqual([['c1'], ['c1'], ['c2']]);
  for (const s of open) expect(s.begin.snapshot).toEqual(snap());
  // The running flow's next step still finds its session.
  expect(j.read().records.some((r) => r.type === 'begin' && r.session === 'running')).toBe(true);
}

describe('journal compaction killed at every point', () => {
  it('leaves every open session restorable and no closed one restorable again, then finishes at the next start', async () => {
    const seen: string[] = [];
    for (let k = 0; ; k += 1) {
      const dir = tempDir();
      journalWithHistory(dir);
      const r = await child(['compact', dir, String(k), NOW]);
      const j = new Journal(dir);
      if (r.signal === null) {
        expect(r.code, r.stderr).toBe(0); // k is past the last step: the compaction ran to its end
        expect(k).toBe(COMPACTION_STEPS.length);
        expectRestorable(j);
        expect(j.read().records.some((x) => x.session.startsWith('closed'))).toBe(false);
        break;
      }
      expect(r.signal).toBe('SIGKILL');
      seen.push(COMPACTION_STEPS[k]!);
      expectRestorable(j);
      // The next compaction (the next start or clean-up) finishes the job over whatever was left.
      j.compact(new Date(NOW));
      expectRestorable(j);
      expect(j.read().records.some((x) => x.session.startsWith('closed'))).toBe(false);
      expect(existsSync(j.tmpFile)).toBe(false);
    }
    expect(seen).toEqual([...COMPACTION_STEPS]);
  });
});

function entry(at: string, n: number): AuditEntry {
  return { at, who: 'COMPANY\\Administrator', profile: 'Lab', host: 'DC1', action: `change ${n}`, from: 'false', to: 'true', outcome: 'ok', session: `s${n}` };
}
const actions = (log: AuditLog) => log.export().trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEntry).action);

describe('audit rotation killed at every point', () => {
  for (const why of ['a new month', 'a full file'] as const) {
    it(`(${why}) loses no entry and doubles none; the next write carries on and deletes what is past the retention`, async () => {
      const seen: string[] = [];
      const newAt = why === 'a new month' ? '2026-11-02T09:00:00Z' : '2026-10-20T09:00:00Z';
      for (let k = 0; ; k += 1) {
        const dir = tempDir();
        // An old rotated file, past a year: a completed rotation deletes it.
        writeFileSync(join(dir, 'audit-2025-09.jsonl'), `${JSON.stringify(entry('2025-09-15T00:00:00Z', 0))}\n`, { mode: 0o600 });
        const setup = new AuditLog(dir, { now: () => new Date('2026-10-15T00:00:00Z') });
        for (let n = 1; n <= 5; n += 1) setup.write(entry(`2026-10-1${n}T00:00:00Z`, n));
        const r = await child(['rotate', dir, String(k), newAt, why === 'a full file' ? '1000' : String(1024 * 1024), JSON.stringify(entry(newAt, 6))]);
        const log = new AuditLog(dir, { now: () => new Date(newAt) });
        const before = ['change 1', 'change 2', 'change 3', 'change 4', 'change 5'];
        if (r.signal === null) {
          expect(r.code, r.stderr).toBe(0);
          expect(k).toBe(ROTATION_STEPS.length);
          expect(actions(log)).toEqual([...before, 'change 6']);
          expect(readdirSync(dir)).not.toContain('audit-2025-09.jsonl');
          break;
        }
        expect(r.signal).toBe('SIGKILL');
        seen.push(ROTATION_STEPS[k]!);
        const afterAppend = k >= ROTATION_STEPS.indexOf('appended');
        const pruned = k >= ROTATION_STEPS.indexOf('pruned');
        // Every entry written before the crash is there exactly once; the one being written is there
        // once its write was flushed (the crash came after it), else not at all.
        expect(actions(log)).toEqual([...(pruned ? [] : ['change 0']), ...before, ...(afterAppend ? ['change 6'] : [])]);
        log.write(entry('2026-11-03T00:00:00Z', 7));
        log.write(entry('2026-12-01T00:00:00Z', 8)); // the next rotation prunes what the crash left
        expect(actions(log)).toEqual([...before, ...(afterAppend ? ['change 6'] : []), 'change 7', 'change 8']);
      }
      expect(seen).toEqual([...ROTATION_STEPS]);
    });
  }
});

describe('a clean-up killed while it compacts the journal (real flow, the lab)', () => {
  const { lab, track } = labsForEachTest();
  it('at every point: the restored session is never restored again and both machines stay as they were', async () => {
    const seen: string[] = [];
    for (let k = 0; ; k += 1) {
      const run = lab();
      const before = machineState(await run.state());
      const checked = await run.hop.check(ARTICLE, CRED);
      const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
      await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
      await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
      await run.dispose();
      const r = await child(['restore', run.dir, String(k), run.labFile], CRED.password);
      const restarted = track(run.restart());
      expect(restarted.hop.openSessions()).toEqual([]);
      expect(machineState(await restarted.state())).toEqual(before);
      // The next start compacts what the crash left: the journal holds nothing.
      await restarted.services.startTimebox();
      expect(new Journal(join(run.dir, 'practice')).read().records).toEqual([]);
      if (r.signal === null) {
        expect(r.code, r.stderr).toBe(0);
        expect(k).toBe(COMPACTION_STEPS.length);
        break;
      }
      expect(r.signal).toBe('SIGKILL');
      seen.push(COMPACTION_STEPS[k]!);
      await restarted.dispose();
    }
    expect(seen).toEqual([...COMPACTION_STEPS]);
  }, 300_000);
});
