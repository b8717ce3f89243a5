// The time box on real pwsh and the lab: at expiry CredHop restores by itself; a change that expired
// while CredHop was closed is restored at the next start, and the caller is told.
import { describe, expect, it } from 'vitest';
import type { RestoreReport } from '../../src/main/hop/engine';
import { ExpiryWatcher, nextExpiryIn } from '../../src/main/hop/timebox';
import { ARTICLE, CRED, type LabRun, labsForEachTest, machineState } from './lab-fixture';

const { lab, track } = labsForEachTest();

async function applyWithTimebox(run: LabRun, minutes: number) {
  const checked = await run.hop.check(ARTICLE, CRED);
  const session = run.hop.beginSession(ARTICLE, checked.snapshot!, minutes);
  await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
  await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
}

describe('time box', () => {
  it('arms a timer for the expiry and restores by itself when it fires', async () => {
    const run = lab();
    const before = machineState(await run.state());
    await applyWithTimebox(run, 1);
    let clock = Date.now();
    const timers: { fn: () => void; ms: number }[] = [];
    const restored: [RestoreReport, string][] = [];
    const watcher = new ExpiryWatcher({
      hop: () => run.hop,
      credentialFor: async () => CRED,
      onRestored: (r, why) => restored.push([r, why]),
      now: () => clock,
      setTimer: (fn, ms) => {
        timers.push({ fn, ms });
        return { cancel: () => undefined };
      },
    });
    expect(await watcher.start()).toBeNull(); // nothing overdue yet
    expect(timers).toHaveLength(1);
    // The timer is for the session's own expiry (measured from the watcher's clock, not from how long
    // applying took on a loaded machine: arming the scheduled restores adds calls to each step).
    expect(timers[0]!.ms).toBe(Math.max(0, new Date(run.hop.openSessions()[0]!.begin.expiresAt).getTime() - clock));
    expect(timers[0]!.ms).toBeLessThanOrEqual(60_000);
    clock += 61_000;
    timers[0]!.fn();
    await expect.poll(() => restored.length, { timeout: 30_000 }).toBe(1);
    expect(restored[0]![1]).toBe('expiry');
    expect(restored[0]![0].clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
    expect(run.hop.openSessions()).toEqual([]);
  });

  it('restores at the next start a change whose time box ran out while CredHop was closed', async () => {
    const first = lab();
    const before = machineState(await first.state());
    await applyWithTimebox(first, 5);
    await first.dispose();
    const second = track(first.restart());
    const told: string[] = [];
    const watcher = new ExpiryWatcher({
      hop: () => second.hop,
      credentialFor: async () => CRED,
      onRestored: (_r, why) => told.push(why),
      now: () => Date.now() + 6 * 60_000,
      setTimer: () => ({ cancel: () => undefined }),
    });
    const report = await watcher.start();
    expect(report?.clean).toBe(true);
    expect(report?.sessions[0]!.profileName).toBe(ARTICLE.profileName);
    expect(told).toEqual(['start']);
    expect(machineState(await second.state())).toEqual(before);
  });

  it('leaves a change alone before its time box runs out', async () => {
    const run = lab();
    await applyWithTimebox(run, 60);
    const watcher = new ExpiryWatcher({ hop: () => run.hop, credentialFor: async () => CRED, onRestored: () => undefined, setTimer: () => ({ cancel: () => undefined }) });
    expect(await watcher.start()).toBeNull();
    expect(run.hop.openSessions()).toHaveLength(1);
    await run.hop.restoreAll(() => CRED, 'test');
  });

  it('clamps the time box to between 1 minute and 8 hours', async () => {
    const run = lab();
    const checked = await run.hop.check(ARTICLE, CRED);
    const t0 = Date.now();
    run.hop.beginSession(ARTICLE, checked.snapshot!, 10_000);
    const open = run.hop.openSessions();
    expect(open).toHaveLength(0); // no intent yet, so nothing open; read the begin record instead
    const { Journal } = await import('../../src/main/hop/journal');
    const begin = new Journal(`${run.dir}/practice`).read().records.find((r) => r.type === 'begin');
    const hours = (new Date((begin as { expiresAt: string }).expiresAt).getTime() - t0) / 3_600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8.01);
  });
});

describe('next expiry', () => {
  it('is the earliest one, never negative, and none when nothing is open', () => {
    expect(nextExpiryIn([], 0)).toBeNull();
    expect(nextExpiryIn(['1970-01-01T00:01:00Z', '1970-01-01T00:00:30Z'], 0)).toBe(30_000);
    expect(nextExpiryIn(['1970-01-01T00:00:10Z'], 60_000)).toBe(0);
  });
});
