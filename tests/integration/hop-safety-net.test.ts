// The safety net that does not need CredHop running: a scheduled task on each machine CredHop changed,
// run by the lab's Task Scheduler when the host's clock passes the session's expiry, as SYSTEM in a
// fresh runspace of that host with the module copy it was given. Real pwsh, the real module, the lab.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HopTarget } from '../../src/main/hop/engine';
import { hopDataDir } from '../../src/main/hop/service';
import { TASK_GRACE_MINUTES } from '../../src/main/hop/safety-net';
import { appLayout } from '../../src/main/paths';
import { labStateDir } from '../../src/main/services';
import { ARTICLE, CRED, type LabRun, labsForEachTest, machineState } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

const { lab, track } = labsForEachTest();
const HOUR = 3600;

async function applyBoth(run: LabRun, minutes = 60) {
  const checked = await run.hop.check(ARTICLE, CRED);
  const session = run.hop.beginSession(ARTICLE, checked.snapshot!, minutes);
  const client = await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
  const server = await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
  return { session, client, server };
}

/** A CredHop process applies both steps and is then killed (SIGKILL): no clean-up of any kind. */
async function killedAfterApply(run: LabRun, minutes: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/crash-child.ts', 'apply', run.dir, String(minutes), run.labFile], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(CRED.password);
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  expect(signal, err).toBe('SIGKILL');
}

/** The built command line, as a user runs it, over the same data folder. */
function credhop(args: string[], dataDir: string) {
  if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` first.');
  const r = spawnSync(process.execPath, ['bin/credhop.cjs', ...args], { env: { ...process.env, CREDHOP_DATA_DIR: dataDir }, input: '', encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lab's state folder of this run (each lab file has its own). */
const labStateOf = (run: LabRun) => labStateDir(hopDataDir(run.dir, true), run.labFile, appLayout(process.cwd(), false).defaultLabFile);

/** Someone at the client changes things by hand (a separate PowerShell on the lab's Windows). */
function byHand(run: LabRun, script: string): void {
  const stateDir = labStateOf(run);
  const init = `Import-Module ./tests/lab/CredHopLab.psd1 -Global; $null = Initialize-CredHopLab -Payload ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((@{ stateDir = '${stateDir}' } | ConvertTo-Json)))); $ErrorActionPreference = 'Stop'; `;
  const r = spawnSync(requirePwsh(), ['-NoProfile', '-NonInteractive', '-Command', init + script], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr + r.stdout).toBe(0);
}

type Host = { scheduledTasks?: { name: string }[]; credhopFiles?: string[] };
const tasksOn = (view: { hosts: Record<string, unknown> }, host: string) => ((view.hosts[host] as Host).scheduledTasks ?? []).map((t) => t.name);

describe('the scheduled restore', () => {
  it('applying both steps arms one task on each machine, named for the session, with no secret anywhere in it', async () => {
    const run = lab();
    const { session, client, server } = await applyBoth(run);
    expect(client.safetyNet?.host).toBe('dc1');
    expect(server.safetyNet?.host).toBe('adfs1.company.pri');
    const view = await run.state();
    for (const host of ['dc1', 'adfs1']) {
      const tasks = (view.hosts[host] as unknown as { scheduledTasks: Record<string, unknown>[] }).scheduledTasks;
      expect(tasks.map((t) => t.name)).toEqual([`CredHop restore ${session}`]);
      const t = tasks[0]!;
      expect(t).toMatchObject({ userId: 'NT AUTHORITY\\SYSTEM', runLevel: 'Highest', startWhenAvailable: true });
      expect(String(t.execute)).toMatch(/powershell\.exe$/);
      expect(String(t.arguments)).toMatch(/^-NoProfile -NonInteractive -ExecutionPolicy Bypass -File ".*Restore-CredHopSession\.ps1"$/);
      expect(JSON.stringify(t)).not.toContain(CRED.password);
      // the trigger is the session's expiry plus the grace period (CredHop's own time box acts first)
      const begin = run.hop.openSessions()[0]!.begin;
      expect(new Date(String(t.atUtc)).getTime()).toBe(new Date(begin.expiresAt).getTime() + TASK_GRACE_MINUTES * 60_000);
      // a laptop unplugged at the expiry still restores: it starts and keeps running on batteries, within a time limit
      expect(t).toMatchObject({ allowOnBatteries: true, stopOnBatteries: false, executionTimeLimit: 'PT15M', wakeToRun: false });
      expect((view.hosts[host] as Host).credhopFiles).toEqual(expect.arrayContaining([`${session}/restore.json`, `${session}/Restore-CredHopSession.ps1`, `${session}/CredHop/CredHop.psm1`]));
      const data = readFileSync(join(labStateOf(run), 'hosts', host, 'ProgramData', 'CredHop', 'Restore', session, 'restore.json'), 'utf8');
      expect(data).not.toContain(CRED.password);
      expect(JSON.parse(data)).toMatchObject({ session, machine: host === 'dc1' ? 'client' : 'server' });
    }
  });

  it("CredHop's own restore before the expiry removes both tasks and their files, and nothing runs later", async () => {
    const run = lab();
    const before = machineState(await run.state());
    await applyBoth(run);
    const report = await run.hop.restoreAll(() => CRED, 'user');
    expect(report.clean).toBe(true);
    expect(report.sessions[0]!.operations).toEqual(expect.arrayContaining(['Removed the scheduled restore on dc1', 'Removed the scheduled restore on adfs1.company.pri']));
    expect(machineState(await run.state())).toEqual(before);
    // Apply again (CredSSP on), then move the clocks past the first session's expiry: nothing may run.
    expect((await run.moveClock('dc1', 2 * HOUR)).ran).toEqual([]);
    expect((await run.moveClock('adfs1', 2 * HOUR)).ran).toEqual([]);
    expect(machineState(await run.state())).toEqual(before);
  });

  it('two restores at one moment: CredHop restoring at the expiry comes first and the tasks never run; a task that ran first (the machine slept past the grace period) is reported, and nothing is left', async () => {
    const run = lab();
    const before = machineState(await run.state());
    // CredHop first: its time box fires at the expiry, inside the tasks' grace period.
    await applyBoth(run, 30);
    for (const host of ['dc1', 'adfs1']) expect((await run.moveClock(host, 30 * 60 + 5)).ran).toEqual([]);
    const mine = await run.hop.restoreAll(() => CRED, 'time box expired');
    expect(mine.clean).toBe(true);
    expect(mine.sessions[0]!.safetyNet).toBeUndefined();
    for (const host of ['dc1', 'adfs1']) expect((await run.moveClock(host, HOUR)).ran).toEqual([]);
    expect(machineState(await run.state())).toEqual(before);
    // The task first: both machines pass the grace period before CredHop's time box fires (asleep, then woken).
    await applyBoth(run, 60);
    for (const host of ['dc1', 'adfs1']) expect((await run.moveClock(host, HOUR)).ran.map((r) => r.result)).toEqual([0]);
    expect(machineState(await run.state())).toEqual(before);
    const late = await run.hop.restoreAll(() => CRED, 'time box expired');
    const entry = late.sessions[0]!;
    expect(entry.complete).toBe(true);
    expect(entry.safetyNet?.restoredAt).toBeTruthy();
    expect(entry.operations).toEqual(expect.arrayContaining([expect.stringMatching(/^dc1: /), expect.stringMatching(/^adfs1: .*set back to false/)]));
    // One restore: CredHop changed nothing the tasks had put back (no "set back" of its own).
    expect(entry.operations.filter((o) => /^(WinRM|Delegation|Removed wsman)/.test(o))).toEqual([]);
    const view = await run.state();
    expect(machineState(view)).toEqual(before);
    for (const host of ['dc1', 'adfs1']) {
      expect(tasksOn(view, host)).toEqual([]);
      expect((view.hosts[host] as Host).credhopFiles ?? []).toEqual([]);
      expect(existsSync(join(labStateOf(run), 'hosts', host, 'ProgramData', 'CredHop', 'Outcomes', `${entry.session}.json`))).toBe(false);
    }
  });

  it('CredHop killed after both steps: the clocks pass the expiry, both machines are back without CredHop, and the next `credhop status` closes the session and says so', async () => {
    const run = lab();
    const before = machineState(await run.state());
    await run.dispose();
    await killedAfterApply(run, 30);
    const after = track(run.restart());
    expect(machineState(await after.state())).not.toEqual(before);
    for (const host of ['dc1', 'adfs1']) {
      const moved = await after.moveClock(host, HOUR);
      expect(moved.ran.map((r) => r.result), JSON.stringify(moved.ran)).toEqual([0]);
    }
    expect(machineState(await after.state())).toEqual(before);
    await after.dispose();

    const status = credhop(['status', '--lab', run.labFile, '--json'], run.dir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/restored while CredHop was not running:\n.*Article lab: restored by the scheduled safety net at .*back exactly as it was/);
    expect((JSON.parse(status.stdout) as { open: unknown[] }).open).toEqual([]);
    const audit = readFileSync(join(hopDataDir(run.dir, true), 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"action":"restored by the scheduled safety net"/);
    // The outcome records were read and removed; a second status has nothing left to say.
    const again = credhop(['status', '--lab', run.labFile], run.dir);
    expect(again.stderr).not.toMatch(/safety net/);
    expect(again.stdout).toMatch(/No unrestored change/);
  });

  it('the client is off at the expiry: the jump server is put back by its own task, the client by its task at its next start', async () => {
    const run = lab();
    const before = machineState(await run.state()) as Record<string, unknown>;
    await run.dispose();
    await killedAfterApply(run, 30);
    const after = track(run.restart());
    await after.power('dc1', false);
    expect((await after.moveClock('dc1', HOUR)).ran).toEqual([]);
    expect((await after.moveClock('adfs1', HOUR)).ran.map((r) => r.result)).toEqual([0]);
    const middle = machineState(await after.state()) as Record<string, unknown>;
    expect(middle.adfs1).toEqual(before.adfs1);
    expect(middle.dc1).not.toEqual(before.dc1);
    const started = await after.power('dc1', true);
    expect(started.ran?.map((r) => r.result)).toEqual([0]);
    expect(machineState(await after.state())).toEqual(before);
  });

  it('a task that finds the client changed by someone else since leaves that alone and reports it', async () => {
    const run = lab();
    const { session } = await applyBoth(run, 30);
    const key = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation';
    // An administrator adds their own entry, and turns the list's "concatenate defaults" switch off by hand.
    byHand(run, `New-ItemProperty -Path '${key}\\AllowFreshCredentials' -Name 7 -Value 'wsman/other.company.pri' -PropertyType String | Out-Null; Set-ItemProperty -Path '${key}' -Name ConcatenateDefaults_AllowFresh -Value 0`);
    for (const host of ['dc1', 'adfs1']) expect((await run.moveClock(host, HOUR)).ran.map((r) => r.result)).toEqual([0]);
    const view = await run.state();
    const reg = JSON.stringify((view.hosts.dc1 as { registry: unknown }).registry);
    expect(reg).toContain('wsman/other.company.pri');
    expect(reg).not.toContain('wsman/adfs1.company.pri');
    expect((view.hosts.dc1 as { clientCredSSP: unknown }).clientCredSSP).toBe(false);
    expect((view.hosts.adfs1 as { serviceCredSSP: unknown }).serviceCredSSP).toBe(false);
    const report = await run.hop.reconcile(() => CRED);
    expect(report?.sessions.map((s) => s.session)).toEqual([session]);
    const notes = report!.sessions[0]!.safetyNet!.notes.join('\n');
    expect(notes).toMatch(/AllowFreshCredentials lists wsman\/other\.company\.pri \(value 7\), which CredHop did not add: left as it is/);
    expect(notes).toMatch(/AllowFreshCredentials's switches were changed since CredHop set them .*: left as they are/);
    expect(run.hop.openSessions()).toEqual([]);
  });

  it('on the managed workstation by address: the tasks put TrustedHosts and the WinRM service back exactly, the older session\'s task running first', async () => {
    const run = lab('tests/lab/managed-workstation.json');
    const before = machineState(await run.state());
    const byAddress: HopTarget = { profileId: '00000000-0000-4000-8000-000000000011', profileName: 'adfs1 by address', jumpServer: '192.168.10.11', target: 'mem2.company.pri', account: 'COMPANY\\Administrator' };
    // The check's TrustedHosts fix is its own session (WinRM started, the address added), then the hop's session.
    const first = await run.hop.check(byAddress, CRED, { ntlmOnlyConfirmed: true });
    expect(first.diagnosis?.id).toBe('trusted-hosts');
    expect((await run.hop.trustJumpServer(byAddress, first.client!)).safetyNet?.host).toBe('ws1');
    const checked = await run.hop.check(byAddress, CRED, { ntlmOnlyConfirmed: true });
    const session = run.hop.beginSession(byAddress, checked.snapshot!, 60);
    await run.hop.apply('client', byAddress, checked.plan!, session, CRED);
    await run.hop.apply('server', byAddress, checked.plan!, session, CRED);
    expect(tasksOn(await run.state(), 'ws1')).toHaveLength(2);
    await run.dispose();
    // CredHop is gone. The fix's task is due first: it puts TrustedHosts back to "" and WinRM to Stopped
    // (Manual); the hop's task then needs WinRM for the client flag, starts it, and stops it again.
    const after = track(run.restart());
    const moved = await after.moveClock('ws1', 2 * HOUR);
    expect(moved.ran.map((r) => r.result), JSON.stringify(moved.ran)).toEqual([0, 0]);
    expect((await after.moveClock('adfs1', 2 * HOUR)).ran.map((r) => r.result)).toEqual([0]);
    expect(machineState(await after.state())).toEqual(before);
    const ws1 = (await after.state()).hosts['ws1'] as Record<string, unknown>;
    expect({ trustedHosts: ws1['trustedHosts'], winrm: ws1['winrm'], startType: ws1['winrmStartType'] }).toEqual({ trustedHosts: '', winrm: false, startType: 'Manual' });
  });

  it('the check reports CredHop tasks an earlier session left on either machine, and the clean-up removes them', async () => {
    const run = lab();
    const before = machineState(await run.state());
    // An earlier session whose journal is gone left its tasks behind on both machines.
    const stray = '9f1c2d3e-4b5a-4c6d-8e7f-001122334455';
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const plan = (machine: string) => ({ version: 1, session: stray, machine, computerName: 'x', expiresAt, steps: [] });
    const ps = run.services.engine()!;
    await ps.call('ArmRestoreTask', { session: stray, expiresAt, plan: plan('client') }, z.unknown());
    const remote = await ps.call('InvokeRemote', { computerName: 'adfs1.company.pri', authentication: 'Default', credential: null, script: 'ArmRestoreTask', arguments: { session: stray, expiresAt, plan: plan('server') } }, z.object({ errors: z.array(z.unknown()) }));
    expect(remote.errors).toEqual([]);
    const checked = await run.hop.check(ARTICLE, CRED);
    expect(checked.leftoverTasks).toEqual({ client: [stray], server: [stray] });
    expect(checked.plan!.risks.join('\n')).toMatch(new RegExp(`A scheduled restore CredHop left on dc1 from an earlier session \\(${stray}\\).*Clean up removes it`));
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
    await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
    await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
    const report = await run.hop.restoreAll(() => CRED, 'user');
    expect(report.sessions[0]!.operations.join('\n')).toMatch(/Removed a scheduled restore left on adfs1\.company\.pri by an earlier session/);
    expect(machineState(await run.state())).toEqual(before);
  });
});
