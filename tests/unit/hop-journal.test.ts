import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Journal, recordsToKeep, type BeginRecord, type JournalRecord } from '../../src/main/hop/journal';
import { snap } from '../support/states';

function fresh(): Journal {
  return new Journal(mkdtempSync(join(tmpdir(), 'credhop-journal-')));
}

function beginRecord(session: string, expiresAt = '2026-11-25T13:00:00Z'): BeginRecord {
  return { type: 'begin', session, at: '2026-11-25T12:00:00Z', profileId: 'p', profileName: 'Lab', account: 'COMPANY\\Administrator', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', expiresAt, practice: true, snapshot: snap() };
}

function begin(j: Journal, session: string, expiresAt?: string) {
  j.append(beginRecord(session, expiresAt));
}

const NOW = new Date('2026-11-25T12:30:00Z'); // inside the sessions' time box
const intent = (session: string, changeId: string): JournalRecord => ({ type: 'intent', session, changeId, at: 'x', change: { kind: 'client-credssp', host: 'client', enabled: true } });
const outcome = (session: string, changeId: string): JournalRecord => ({ type: 'outcome', session, changeId, at: 'x', ok: true });
const restored = (session: string, complete = true): JournalRecord => ({ type: 'restored', session, at: 'y', complete, reason: 'user', differences: complete ? [] : ['adfs1'] });

/** One whole flow: begun, two changes, restored completely. */
function closedFlow(j: Journal, session: string) {
  begin(j, session);
  for (const c of ['c1', 'c2']) {
    j.append(intent(session, c));
    j.append(outcome(session, c));
  }
  j.append(restored(session));
}

describe('journal', () => {
  it('lists sessions with intents until they are restored completely', () => {
    const j = fresh();
    begin(j, 's1');
    expect(j.openSessions()).toHaveLength(0); // a session without an intent changed nothing
    j.append({ type: 'intent', session: 's1', changeId: 'c1', at: 'x', change: { kind: 'client-credssp', host: 'client', enabled: true } });
    expect(j.openSessions()).toHaveLength(1);
    j.append({ type: 'restored', session: 's1', at: 'y', complete: false, reason: 'user', differences: ['x'] });
    expect(j.openSessions()).toHaveLength(1);
    j.append({ type: 'restored', session: 's1', at: 'z', complete: true, reason: 'user', differences: [] });
    expect(j.openSessions()).toHaveLength(0);
  });

  it('keeps an intent whose outcome never came (a crash inside a step) open for restore', () => {
    const j = fresh();
    begin(j, 's1');
    j.append({ type: 'intent', session: 's1', changeId: 'c1', at: 'x', change: { kind: 'server-credssp', host: 'server', enabled: true } });
    const [open] = j.openSessions();
    expect(open!.outcomes.has('c1')).toBe(false);
    expect(open!.intents[0]!.change.kind).toBe('server-credssp');
  });

  it('survives a torn last line and a hand-edited line, reading everything else', () => {
    const j = fresh();
    begin(j, 's1');
    j.append({ type: 'intent', session: 's1', changeId: 'c1', at: 'x', change: { kind: 'client-credssp', host: 'client', enabled: true } });
    appendFileSync(j.file, '{"type":"outcome","sess');
    const read = j.read();
    expect(read.records).toHaveLength(2);
    expect(read.skipped).toBe(1);
    expect(j.openSessions()).toHaveLength(1);
  });

  it('refuses a record that does not fit the schema, so nothing half-formed is written', () => {
    const j = fresh();
    expect(() => j.append({ type: 'intent', session: 's', changeId: 'c', at: 'x', change: { kind: 'format-disk' } } as never)).toThrow();
  });

  it('locks out a second live process and takes over a lock left by a dead one', async () => {
    const j = fresh();
    // A live other process holds the lock.
    const sleeper = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']); // exits at once: a dead pid
    const deadPid = Number(sleeper.stdout.toString().trim());
    writeFileSync(j.lockFile, JSON.stringify({ pid: deadPid, at: 'x' }));
    await expect(j.withLock(async () => 'ran')).resolves.toBe('ran');
    writeFileSync(j.lockFile, JSON.stringify({ pid: process.ppid, at: 'x' })); // our parent is alive
    await expect(j.withLock(async () => 'ran')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('is re-entrant within one piece of work and releases the lock afterwards', async () => {
    const j = fresh();
    await j.withLock(() => j.withLock(async () => undefined));
    expect(() => readFileSync(j.lockFile)).toThrow();
  });

  it('runs concurrent work one after the other, never interleaved (a clean-up waits for a running step)', async () => {
    const j = fresh();
    const events: string[] = [];
    const step = j.withLock(async () => {
      events.push('step start');
      await new Promise((r) => setTimeout(r, 50));
      events.push('step end');
    });
    const cleanup = j.withLock(async () => {
      events.push('cleanup');
    });
    await Promise.all([step, cleanup]);
    expect(events).toEqual(['step start', 'step end', 'cleanup']);
  });

  it('reopens a session when an intent arrives after it was restored', () => {
    const j = fresh();
    begin(j, 's1');
    j.append({ type: 'intent', session: 's1', changeId: 'c1', at: 'x', change: { kind: 'client-credssp', host: 'client', enabled: true } });
    j.append({ type: 'restored', session: 's1', at: 'y', complete: true, reason: 'user', differences: [] });
    j.append({ type: 'intent', session: 's1', changeId: 'c2', at: 'z', change: { kind: 'server-credssp', host: 'server', enabled: true } });
    const open = j.openSessions();
    expect(open).toHaveLength(1);
    expect(open[0]!.intents.map((i) => i.changeId)).toEqual(['c2']);
  });
});

describe('journal compaction', () => {
  it('holds only the open sessions, however many were closed before', () => {
    const sizeAfter = (closed: number): number => {
      const j = fresh();
      for (let i = 0; i < closed; i += 1) closedFlow(j, `closed-${String(i).padStart(4, '0')}`);
      begin(j, 'open');
      j.append(intent('open', 'c1'));
      j.compact(NOW);
      expect(j.read().records.map((r) => r.session)).toEqual(['open', 'open']);
      expect(j.openSessions().map((s) => s.begin.session)).toEqual(['open']);
      return statSync(j.file).size;
    };
    const few = sizeAfter(1);
    expect(sizeAfter(100)).toBe(few);
  });

  it('is empty after the last session closed, and written owner-only with no temp file left', () => {
    const j = fresh();
    closedFlow(j, 's1');
    expect(j.compact(NOW)).toBe(6);
    expect(readFileSync(j.file, 'utf8')).toBe('');
    expect(statSync(j.file).mode & 0o777).toBe(0o600);
    expect(existsSync(j.tmpFile)).toBe(false);
    expect(j.compact(NOW)).toBe(0); // nothing more to do: the file is not rewritten
  });

  it('keeps a partly restored session whole, so the next clean-up still has its snapshot and changes', () => {
    const j = fresh();
    begin(j, 's1');
    j.append(intent('s1', 'c1'));
    j.append(restored('s1', false));
    j.compact(NOW);
    const [open] = j.openSessions();
    expect(open!.begin.snapshot).toEqual(snap());
    expect(open!.intents.map((i) => i.changeId)).toEqual(['c1']);
  });

  it('keeps a session re-opened by a change after its restore, with only the later change to undo', () => {
    const j = fresh();
    begin(j, 's1');
    j.append(intent('s1', 'c1'));
    j.append(restored('s1'));
    j.append(intent('s1', 'c2'));
    j.compact(NOW);
    expect(j.openSessions().map((s) => s.intents.map((i) => i.changeId))).toEqual([['c2']]);
  });

  it('keeps a flow begun but not yet changed (its next step looks the session up) until its time box ends', () => {
    const records = [beginRecord('running'), beginRecord('abandoned', '2026-11-25T12:10:00Z')];
    expect(recordsToKeep(records, NOW).keep.map((r) => r.session)).toEqual(['running']);
    expect(recordsToKeep(records, new Date('2026-11-25T14:00:00Z')).keep).toEqual([]);
  });

  it('a step that waited while a clean-up closed and compacted its session re-opens it: the change stays restorable', () => {
    const j = fresh();
    begin(j, 's1');
    const first = j.read().records[0] as BeginRecord; // the step read its session before waiting for the lock
    j.append(intent('s1', 'c1'));
    j.append(restored('s1'));
    j.compact(NOW);
    expect(j.openSessions()).toEqual([]);
    j.ensureBegun(first);
    j.append(intent('s1', 'c2'));
    const [open] = j.openSessions();
    expect(open!.begin.session).toBe('s1');
    expect(open!.intents.map((i) => i.changeId)).toEqual(['c2']);
    j.ensureBegun(first); // already there: not written twice
    expect(j.read().records.filter((r) => r.type === 'begin')).toHaveLength(1);
  });

  it('drops a torn last line left by a crash, keeping every whole record of an open session', () => {
    const j = fresh();
    begin(j, 's1');
    j.append(intent('s1', 'c1'));
    appendFileSync(j.file, '{"type":"outcome","sess');
    expect(j.compact(NOW)).toBe(1);
    expect(j.read()).toMatchObject({ skipped: 0 });
    expect(j.openSessions()).toHaveLength(1);
  });
});

