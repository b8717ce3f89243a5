// Crashes between and inside every step — PowerShell exiting mid-call, a primitive failing after its
// effect, the app going away — then a restart and one clean-up: both machines equal their snapshot.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ARTICLE, CRED, type LabRun, labsForEachTest, machineState } from './lab-fixture';

// Every scenario that ends with both machines equal to their snapshot is recorded here; the file is
// the fault-injection report (count and names), kept by CI under artifacts/.
const survived: string[] = [];
afterAll(() => {
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/fault-injection.json', `${JSON.stringify({ scenarios: survived.length, allEqualToSnapshot: true, names: survived }, null, 2)}\n`);
  process.stdout.write(`\nFault injection: ${survived.length} scenarios, each ended with both machines equal to their snapshot.\n`);
});

const { lab, track } = labsForEachTest();

type Stage = 'client' | 'server' | 'test' | 'restore';

const INSIDE: { name: string; host: string; command: string; path: string; stage: Stage }[] = [
  // Fault paths are the written value's full path (key\\value name).
  { name: 'the delegation entry write', host: 'dc1', command: 'New-ItemProperty', path: '*\\AllowFreshCredentials\\*', stage: 'client' },
  { name: 'the delegation DWORD writes', host: 'dc1', command: 'New-ItemProperty', path: '*\\CredentialsDelegation\\ConcatenateDefaults_AllowFresh', stage: 'client' },
  { name: 'the client flag write', host: 'dc1', command: 'Set-Item', path: 'WSMan:*Client*', stage: 'client' },
  { name: 'the server flag write (on the jump server)', host: 'adfs1', command: 'Set-Item', path: 'WSMan:*Service*', stage: 'server' },
  // The safety net: the task is registered, then the crash (its files and the task are left behind).
  { name: "registering the client's scheduled restore", host: 'dc1', command: 'Register-ScheduledTask', path: 'CredHop restore *', stage: 'client' },
  { name: "registering the jump server's scheduled restore", host: 'adfs1', command: 'Register-ScheduledTask', path: 'CredHop restore *', stage: 'server' },
];

const IN_RESTORE: { name: string; host: string; command: string; path: string }[] = [
  { name: 'removing the delegation entry', host: 'dc1', command: 'Remove-ItemProperty', path: '*\\AllowFreshCredentials\\*' },
  { name: 'removing the delegation DWORDs', host: 'dc1', command: 'Remove-ItemProperty', path: '*\\CredentialsDelegation\\ConcatenateDefaults_AllowFresh' },
  { name: 'removing the emptied policy keys', host: 'dc1', command: 'Remove-Item', path: '*CredentialsDelegation*' },
  { name: 'setting the client flag back', host: 'dc1', command: 'Set-Item', path: 'WSMan:*Client*' },
  { name: 'setting the server flag back (on the jump server)', host: 'adfs1', command: 'Set-Item', path: 'WSMan:*Service*' },
  { name: "removing the client's scheduled restore", host: 'dc1', command: 'Unregister-ScheduledTask', path: 'CredHop restore *' },
  { name: "removing the jump server's scheduled restore", host: 'adfs1', command: 'Unregister-ScheduledTask', path: 'CredHop restore *' },
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

async function cleanUpAfterRestart(run: LabRun, before: unknown, client = 'dc1'): Promise<void> {
  const restarted = track(run.restart());
  expect(restarted.hop.openSessions().length).toBeGreaterThan(0);
  const report = await restarted.hop.restoreAll(() => CRED, 'clean up after crash');
  expect(report.clean).toBe(true);
  expect(machineState(await restarted.state())).toEqual(before);
  await restarted.gpupdate(client);
  expect(machineState(await restarted.state())).toEqual(before);
  expect(restarted.hop.openSessions()).toEqual([]);
  survived.push(expect.getState().currentTestName ?? 'unnamed');
}

describe('a crash inside a step', () => {
  for (const action of ['exit', 'throw'] as const) {
    for (const f of INSIDE) {
      it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after ${f.name}; restart and clean-up restore everything`, async () => {
        const run = lab();
        const before = machineState(await run.state());
        await run.fault({ host: f.host, command: f.command, path: f.path, action });
        await expect(flowUntil(run, 'test')).rejects.toMatchObject({ code: expect.stringMatching(/powershell-failed|powershell-unavailable/) });
        await run.dispose(); // the app goes away with the failure
        await cleanUpAfterRestart(run, before);
      });
    }
  }

});

describe('the managed workstation: a crash around starting and stopping its WinRM service', () => {
  const MANAGED = 'tests/lab/managed-workstation.json';
  for (const action of ['exit', 'throw'] as const) {
    it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after WinRM was started for the client step; restart and clean-up stop it again`, async () => {
      const run = lab(MANAGED);
      const before = machineState(await run.state());
      await run.fault({ host: 'ws1', command: 'Start-Service', path: 'WinRM', action });
      await expect(flowUntil(run, 'test')).rejects.toMatchObject({ code: expect.stringMatching(/powershell-failed|powershell-unavailable/) });
      await run.dispose();
      await cleanUpAfterRestart(run, before, 'ws1');
    });
    it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after the clean-up stopped WinRM again; the next clean-up finishes the job`, async () => {
      const run = lab(MANAGED);
      const before = machineState(await run.state());
      await flowUntil(run, 'server');
      await run.fault({ host: 'ws1', command: 'Stop-Service', path: 'WinRM', action });
      await run.hop.restoreAll(() => CRED, 'first try').catch(() => undefined);
      await run.dispose();
      // The first try may have finished everything before the fault fired; the restart then finds
      // the session closed or finishes it. Either way the machines end equal to their snapshot.
      const restarted = track(run.restart());
      const report = await restarted.hop.restoreAll(() => CRED, 'clean up after crash');
      expect(report.clean).toBe(true);
      expect(machineState(await restarted.state())).toEqual(before);
      expect(restarted.hop.openSessions()).toEqual([]);
      survived.push(expect.getState().currentTestName ?? 'unnamed');
    });
  }
});

describe('the hop by address: a crash around the TrustedHosts write', () => {
  const MANAGED = 'tests/lab/managed-workstation.json';
  const BY_ADDRESS = { ...ARTICLE, jumpServer: '192.168.10.11' };
  /** The check's TrustedHosts fix (WinRM started, the address added), then the hop's own session. */
  async function byAddress(run: LabRun): Promise<void> {
    const first = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
    await run.hop.trustJumpServer(BY_ADDRESS, first.client!);
    const checked = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
    const session = run.hop.beginSession(BY_ADDRESS, checked.snapshot!, 60);
    await run.hop.apply('client', BY_ADDRESS, checked.plan!, session, CRED);
    await run.hop.apply('server', BY_ADDRESS, checked.plan!, session, CRED);
  }
  for (const action of ['exit', 'throw'] as const) {
    it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after the address was added to TrustedHosts; restart and clean-up put the list and WinRM back`, async () => {
      const run = lab(MANAGED);
      const before = machineState(await run.state());
      await run.fault({ host: 'ws1', command: 'Set-Item', path: 'WSMan:*TrustedHosts', action });
      await expect(byAddress(run)).rejects.toMatchObject({ code: expect.stringMatching(/powershell-failed|powershell-unavailable/) });
      await run.dispose();
      await cleanUpAfterRestart(run, before, 'ws1');
    });
    it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after the clean-up set TrustedHosts back; the next clean-up finishes the job`, async () => {
      const run = lab(MANAGED);
      const before = machineState(await run.state());
      await byAddress(run);
      await run.fault({ host: 'ws1', command: 'Set-Item', path: 'WSMan:*TrustedHosts', action });
      const first = await run.hop.restoreAll(() => CRED, 'first try').then((r) => r.clean, () => false);
      expect(first).toBe(false);
      await run.dispose();
      await cleanUpAfterRestart(run, before, 'ws1');
    });
  }
});

describe('a crash inside the clean-up itself', () => {
  for (const action of ['exit', 'throw'] as const) {
    for (const f of IN_RESTORE) {
      it(`${action === 'exit' ? 'PowerShell exits' : 'the primitive fails'} right after ${f.name}; the next clean-up finishes the job`, async () => {
        const run = lab();
        const before = machineState(await run.state());
        await flowUntil(run, 'server');
        await run.fault({ host: f.host, command: f.command, path: f.path, action });
        // The first clean-up either stops (PowerShell died, a local write failed) or, when only the
        // jump server's part failed, reports a difference and keeps the session open.
        const first = await run.hop.restoreAll(() => CRED, 'first try').then((r) => r.clean, () => false);
        expect(first).toBe(false);
        await run.dispose();
        await cleanUpAfterRestart(run, before);
      });
    }
  }
});

describe('the jump server stops answering', () => {
  // It goes down at each step boundary, or (stopAnsweringAfter) once it has had one connection, which
  // with CredHop's kept management session means in the middle of the test step.
  const WHEN: { name: string; down: 'after-check' | 'after-client' | 'after-server' | 'after-test' | 'after-1-connection' }[] = [
    { name: 'after the check', down: 'after-check' },
    { name: 'after the client step', down: 'after-client' },
    { name: 'after the server step', down: 'after-server' },
    { name: 'after the test', down: 'after-test' },
    { name: 'after its first connection (inside the test step)', down: 'after-1-connection' },
  ];
  for (const w of WHEN) {
    it(`${w.name}: the flow stops with a diagnosis, and once it answers again one clean-up restores everything`, async () => {
      const run = lab();
      const before = machineState(await run.state());
      const down = () => run.setHost('adfs1', { reachable: false });
      if (w.down === 'after-1-connection') await run.setHost('adfs1', { stopAnsweringAfter: 1 });
      const checked = await run.hop.check(ARTICLE, CRED);
      const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
      const steps = async () => {
        if (w.down === 'after-check') await down();
        await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
        if (w.down === 'after-client') await down();
        await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
        if (w.down === 'after-server') await down();
        const test = await run.hop.test(ARTICLE, CRED, 'credssp');
        if (w.down === 'after-1-connection') expect(test.diagnosis?.id).toBe('unreachable');
        if (w.down === 'after-test') await down();
      };
      await steps().catch((e: unknown) => expect(e).toMatchObject({ code: 'powershell-failed', message: expect.stringMatching(/did not answer/) }));
      // While it is down, a clean-up puts this computer back but cannot reach the jump server: it
      // says so and keeps the session open for the next try.
      const whileDown = await run.hop.restoreAll(() => CRED, 'while down');
      expect(whileDown.clean).toBe(false);
      expect(whileDown.sessions[0]!.differences.join(' ')).toMatch(/adfs1/);
      expect(run.hop.openSessions()).toHaveLength(1);
      const client = await run.hop.readClient();
      expect(client.winrm.clientCredSSP).toBe(false);
      expect(client.delegation.fresh.local.entries).toEqual([]);
      await run.setHost('adfs1', { stopAnsweringAfter: null, reachable: true });
      await run.dispose();
      await cleanUpAfterRestart(run, before);
    });
  }
});

describe('a crash between steps', () => {
  it('the app goes away after the check, before any change: nothing to clean up', async () => {
    const run = lab();
    await run.hop.check(ARTICLE, CRED);
    await run.dispose();
    const restarted = track(run.restart());
    expect(restarted.hop.openSessions()).toEqual([]);
    survived.push('app gone after the check');
  });

  for (const stopAfter of ['client', 'server', 'test'] as const) {
    it(`the app goes away after the ${stopAfter} step; after a restart one clean-up restores everything`, async () => {
      const run = lab();
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
    const run = lab();
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
    survived.push(expect.getState().currentTestName ?? 'killed');
  });
});
