// Crashes between and inside every step — PowerShell exiting mid-call, a primitive failing after its
// effect, the app going away — then a restart and one clean-up: both machines equal their snapshot.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ARTICLE, CRED, machineState, removeDir, startLab, type LabRun } from './lab-fixture';

const runs: LabRun[] = [];
function track(run: LabRun): LabRun {
  runs.push(run);
  return run;
}
afterEach(async () => {
  const dirs = new Set(runs.map((r) => r.dir));
  for (const r of runs.splice(0)) await r.dispose();
  for (const d of dirs) removeDir(d);
});

type Stage = 'client' | 'server' | 'test' | 'restore';

const INSIDE: { name: string; host: string; command: string; path: string; stage: Stage }[] = [
  { name: 'the delegation entry write', host: 'dc1', command: 'New-ItemProperty', path: '*AllowFreshCredentials*', stage: 'client' },
  { name: 'the client flag write', host: 'dc1', command: 'Set-Item', path: 'WSMan:*Client*', stage: 'client' },
  { name: 'the server flag write (on the jump server)', host: 'adfs1', command: 'Set-Item', path: 'WSMan:*Service*', stage: 'server' },
];

/** Runs the flow up to `stopAfter`; any step may throw (that is the crash). */
async function flowUntil(run: LabRun, stopAfter: Stage | 'none'): Promise<void> {
  const checked = await run.hop.check(ARTICLE, CRED);
  const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
  await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
  if (stopAfter === 'client') return;
  await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
  if (stopAfter === 'server') return;
  await run.hop.test(ARTICLE, CRED, 'credssp');
}

async function cleanUpAfterRestart(run: LabRun, before: unknown): Promise<void> {
  const restarted = track(run.restart());
  expect(restarted.hop.openSessions().length).toBeGreaterThan(0);
  const report = await restarted.hop.restoreAll(() => CRED, 'clean up after crash');
  expect(report.clean).toBe(true);
  expect(machineState(await restarted.state())).toEqual(before);
  await restarted.gpupdate('dc1');
  expect(machineState(await restarted.state())).toEqual(before);
  expect(restarted.hop.openSessions()).toEqual([]);
}

describe('a crash inside a step', () => {
  for (const action of ['exit', 'throw'] as const) {
    for (const f of INSIDE) {
      it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after ${f.name}; restart and clean-up restore everything`, async () => {
        const run = track(startLab());
        const before = machineState(await run.state());
        await run.fault({ host: f.host, command: f.command, path: f.path, action });
        await expect(flowUntil(run, 'test')).rejects.toMatchObject({ code: expect.stringMatching(/powershell-failed|powershell-unavailable/) });
        await run.dispose(); // the app goes away with the failure
        await cleanUpAfterRestart(run, before);
      });
    }
  }

  it('PowerShell dies inside the clean-up itself; a second clean-up finishes the job', async () => {
    const run = track(startLab());
    const before = machineState(await run.state());
    await flowUntil(run, 'server');
    await run.fault({ host: 'dc1', command: 'Set-Item', path: 'WSMan:*Client*', action: 'exit' });
    await expect(run.hop.restoreAll(() => CRED, 'first try')).rejects.toBeTruthy();
    // Same app, PowerShell restarted transparently: one more click.
    const report = await run.hop.restoreAll(() => CRED, 'second try');
    expect(report.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
  });
});

describe('a crash between steps', () => {
  for (const stopAfter of ['client', 'server', 'test'] as const) {
    it(`the app goes away after the ${stopAfter} step; after a restart one clean-up restores everything`, async () => {
      const run = track(startLab());
      const before = machineState(await run.state());
      await flowUntil(run, stopAfter);
      await run.dispose();
      await cleanUpAfterRestart(run, before);
    });
  }
});

describe('the process killed outright (the command line, SIGKILL mid-flow)', () => {
  const cli = 'out/main/cli.js';
  it.each([
    ['while configuring the client', 'Turn on CredSSP in this computer'],
    ['while configuring the server', 'Turn on CredSSP in the WinRM service'],
  ])('killed %s; `credhop restore` restores everything', async (_when, trigger) => {
    if (!existsSync(cli)) throw new Error('The CLI is not built: run `npm run build` (scripts/setup.sh does) before the integration tests.');
    const run = track(startLab());
    const before = machineState(await run.state());
    await run.dispose();
    const env = { ...process.env, CREDHOP_DATA_DIR: run.dir };
    const args = ['bin/credhop.cjs', 'apply', '--lab', run.labFile, '--jump', ARTICLE.jumpServer, '--target', ARTICLE.target, '--account', ARTICLE.account];
    const killedBy = await new Promise<string | null>((resolve) => {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let seen = '';
      child.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes(trigger)) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(killedBy).toBe('SIGKILL');
    const restore = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['bin/credhop.cjs', 'restore', '--lab', run.labFile], { env, stdio: 'ignore' });
      child.on('exit', (code) => resolve(code));
    });
    expect(restore).toBe(0);
    const check = track(run.restart());
    expect(machineState(await check.state())).toEqual(before);
    expect(check.hop.openSessions()).toEqual([]);
  });
});
