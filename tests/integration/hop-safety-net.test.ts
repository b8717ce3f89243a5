// The safety net that does not need CredHop running: a scheduled task on each machine CredHop changed,
// run by the lab's Task Scheduler when the host's clock passes the session's expiry, as SYSTEM in a
// fresh runspace of that host with the module copy it was given. Real pwsh, the real module, the lab.
import { describe, expect, it } from 'vitest';
import { ARTICLE, CRED, type LabRun, labsForEachTest, machineState } from './lab-fixture';

const { lab, track } = labsForEachTest();
const HOUR = 3600;

async function applyBoth(run: LabRun, minutes = 60) {
  const checked = await run.hop.check(ARTICLE, CRED);
  const session = run.hop.beginSession(ARTICLE, checked.snapshot!, minutes);
  const client = await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
  const server = await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
  return { session, client, server };
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
      const tasks = (view.hosts[host] as { scheduledTasks: Record<string, unknown>[] }).scheduledTasks;
      expect(tasks.map((t) => t.name)).toEqual([`CredHop restore ${session}`]);
      const t = tasks[0]!;
      expect(t).toMatchObject({ userId: 'NT AUTHORITY\\SYSTEM', runLevel: 'Highest', startWhenAvailable: true });
      expect(String(t.execute)).toMatch(/powershell\.exe$/);
      expect(String(t.arguments)).toMatch(/^-NoProfile -NonInteractive -ExecutionPolicy Bypass -File ".*Restore-CredHopSession\.ps1"$/);
      expect(JSON.stringify(t)).not.toContain(CRED.password);
      // the trigger is the session's own expiry
      const begin = run.hop.openSessions()[0]!.begin;
      expect(new Date(String(t.atUtc)).getTime()).toBe(new Date(begin.expiresAt).getTime());
      expect((view.hosts[host] as Host).credhopFiles).toEqual(expect.arrayContaining([`${session}/restore.json`, `${session}/Restore-CredHopSession.ps1`, `${session}/CredHop/CredHop.psm1`]));
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
});
