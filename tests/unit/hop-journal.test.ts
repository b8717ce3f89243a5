import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/main/hop/journal';
import { snap } from '../support/states';

function fresh(): Journal {
  return new Journal(mkdtempSync(join(tmpdir(), 'credhop-journal-')));
}

function begin(j: Journal, session: string) {
  j.append({ type: 'begin', session, at: '2026-11-25T12:00:00Z', profileId: 'p', profileName: 'Lab', account: 'COMPANY\\Administrator', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', expiresAt: '2026-11-25T13:00:00Z', practice: true, snapshot: snap() });
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
