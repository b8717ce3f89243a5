// Two CredHops and one journal: a clean-up clicked while a step runs, and a second process (the CLI,
// or a second app) trying to change machines while the first holds the journal.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/main/hop/journal';
import { ARTICLE, CRED, labsForEachTest, machineState } from './lab-fixture';

const { lab } = labsForEachTest();

describe('concurrency', () => {
  it('a clean-up clicked while the server step runs waits for it, then restores everything', async () => {
    const run = lab();
    const before = machineState(await run.state());
    const checked = await run.hop.check(ARTICLE, CRED);
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
    await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
    const step = run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
    const cleanup = run.hop.restoreAll(() => CRED, 'clicked during a step');
    const [applied, report] = await Promise.all([step, cleanup]);
    expect(applied.verified).toBe(true);
    expect(report.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
    expect(run.hop.openSessions()).toEqual([]);
  });

  it('a step clicked while a clean-up runs waits for it, re-opens its session (compacted away by the clean-up) and stays restorable', async () => {
    const run = lab();
    const before = machineState(await run.state());
    const checked = await run.hop.check(ARTICLE, CRED);
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
    await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
    const cleanup = run.hop.restoreAll(() => CRED, 'clicked before the server step');
    const step = run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
    const [report, applied] = await Promise.all([cleanup, step]);
    expect(report.clean).toBe(true);
    expect(applied.verified).toBe(true);
    const open = run.hop.openSessions();
    // the re-opened session holds the server step and the jump server's scheduled restore armed after it
    expect(open.map((s) => [s.begin.session, s.intents.map((i) => i.change.kind)])).toEqual([[session, ['server-credssp', 'restore-task']]]);
    const again = await run.hop.restoreAll(() => CRED, 'the clean-up after');
    expect(again.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
    expect(run.hop.openSessions()).toEqual([]);
    expect(new Journal(join(run.dir, 'practice')).read().records).toEqual([]);
  });

  it('a second process is told another CredHop is busy, changes nothing, and succeeds once the first is done', async () => {
    if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` first.');
    const run = lab();
    const checked = await run.hop.check(ARTICLE, CRED);
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
    await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
    const journal = new Journal(join(run.dir, 'practice'));
    const env = { ...process.env, CREDHOP_DATA_DIR: run.dir };
    let during: ReturnType<typeof spawnSync> | null = null;
    await journal.withLock(async () => {
      during = spawnSync(process.execPath, ['bin/credhop.cjs', 'restore', '--lab', run.labFile], { env, encoding: 'utf8', timeout: 120_000 });
    });
    expect(during!.status).toBe(1);
    expect(String(during!.stderr)).toMatch(/Another CredHop \(process \d+\) is changing machines/);
    expect(run.hop.openSessions()).toHaveLength(1);
    const after = spawnSync(process.execPath, ['bin/credhop.cjs', 'restore', '--lab', run.labFile], { env, encoding: 'utf8', timeout: 120_000 });
    expect(after.status).toBe(0);
    expect(run.hop.openSessions()).toEqual([]);
  });
});
