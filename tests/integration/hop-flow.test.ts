// The hop engine end to end on real pwsh, with the lab as Windows: the article's flow, pre-existing
// state that must survive, and restore verified against the lab's own record of both stores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTICLE, articleLab, CANARY, CRED, labsForEachTest, machineState, type LabRun } from './lab-fixture';

const { lab } = labsForEachTest();

async function fullFlow(run: LabRun) {
  const checked = await run.hop.check(ARTICLE, CRED);
  expect(checked.diagnosis).toBeUndefined();
  const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
  const client = await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
  const server = await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
  return { checked, session, client, server };
}

describe('the article\'s flow', () => {
  it('fails with E1 before, works after, and restores both machines exactly (also after gpupdate)', async () => {
    const run = lab();
    const before = machineState(await run.state());

    const e1 = await run.hop.test(ARTICLE, CRED, 'kerberos');
    expect(e1.ok).toBe(false);
    expect(e1.diagnosis?.id).toBe('E1');
    expect(e1.errors[0]?.errorCode).toBe(1312);

    const { checked, client, server } = await fullFlow(run);
    expect(checked.plan!.changes).toHaveLength(3);
    expect(client.verified && server.verified).toBe(true);
    expect(client.client.winrm.clientCredSSP).toBe(true);
    expect(client.client.delegation.fresh.local.entries).toEqual([{ name: '1', value: 'wsman/adfs1.company.pri' }]);
    expect(server.server?.serviceCredSSP).toBe(true);
    // One kept management connection to the jump server while the flow runs...
    expect((await run.state()).openSessions).toEqual({ adfs1: 1 });

    const hop = await run.hop.test(ARTICLE, CRED, 'credssp', { serverCredSSP: true });
    expect(hop.ok).toBe(true);
    expect(JSON.stringify(hop.output)).toMatch(/MEM2/);

    const report = await run.hop.restoreAll(() => CRED, 'test');
    expect(report.clean).toBe(true);
    expect(report.sessions[0]!.differences).toEqual([]);
    expect(machineState(await run.state())).toEqual(before);
    // ...and none left open on it once the clean-up has nothing left to restore.
    expect((await run.state()).openSessions).toEqual({});

    // A Group Policy refresh must not bring anything back (the local GPO was restored too).
    await run.gpupdate('dc1');
    expect(machineState(await run.state())).toEqual(before);
    expect(run.hop.openSessions()).toEqual([]);

    // And after restore the second hop fails again, as it did before.
    expect((await run.hop.test(ARTICLE, CRED, 'credssp')).ok).toBe(false);
  });

  it('offers the no-configuration alternative: explicit credentials on the inner call work with no change at all', async () => {
    const run = lab();
    const before = machineState(await run.state());
    const result = await run.hop.test(ARTICLE, CRED, 'explicit');
    expect(result.ok).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
  });

  it('changes nothing when run twice: the second plan is empty and no duplicate entry appears', async () => {
    const run = lab();
    await fullFlow(run);
    const again = await run.hop.check(ARTICLE, CRED);
    expect(again.plan!.changes).toEqual([]);
    expect(again.snapshot!.client.delegation.fresh.local.entries).toHaveLength(1);
    await run.hop.restoreAll(() => CRED, 'test');
  });
});

describe('pre-existing state survives', () => {
  it('keeps other wsman and TERMSRV entries, a gap, a duplicate, the NTLM list and flags already on', async () => {
    const run = lab(articleLab({
      dc1: {
        credssp: { client: true, service: true },
        encryptionOracle: 1,
        localPolicy: {
          fresh: { allow: 1, concatenate: 1, entries: { '1': 'TERMSRV/*', '3': 'wsman/old.company.pri', '4': 'wsman/old.company.pri' } },
          freshNtlm: { allow: 1, concatenate: 0, entries: { '2': 'wsman/legacy.company.pri' } },
        },
      },
    }));
    const before = machineState(await run.state());
    const { checked } = await fullFlow(run);
    // Only the delegation entry and the server flag were needed: the client flag was on already.
    expect(checked.plan!.changes.map((c) => c.change.kind)).toEqual(['add-delegation', 'server-credssp']);
    const during = await run.hop.readClient();
    expect(during.delegation.fresh.local.entries).toEqual([
      { name: '1', value: 'TERMSRV/*' },
      { name: '2', value: 'wsman/adfs1.company.pri' },
      { name: '3', value: 'wsman/old.company.pri' },
      { name: '4', value: 'wsman/old.company.pri' },
    ]);
    expect((await run.hop.test(ARTICLE, CRED, 'credssp')).ok).toBe(true);
    const report = await run.hop.restoreAll(() => CRED, 'test');
    expect(report.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
    await run.gpupdate('dc1');
    expect(machineState(await run.state())).toEqual(before);
  });

  it('unwinds two profiles applied one after the other', async () => {
    const run = lab();
    const before = machineState(await run.state());
    await fullFlow(run);
    const second = { ...ARTICLE, profileId: '00000000-0000-4000-8000-000000000002', profileName: 'Short name', jumpServer: 'adfs1' };
    const checked = await run.hop.check(second, CRED);
    expect(checked.plan!.changes.map((c) => c.change.kind)).toEqual(['add-delegation']);
    const s2 = run.hop.beginSession(second, checked.snapshot!, 30);
    await run.hop.apply('client', second, checked.plan!, s2, CRED);
    expect(run.hop.openSessions()).toHaveLength(2);
    const report = await run.hop.restoreAll(() => CRED, 'test');
    expect(report.sessions.map((s) => s.profileName)).toEqual(['Short name', 'Article lab']);
    expect(report.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
  });
});

describe('a broken lab file', () => {
  it('stops practice mode with the lab\'s own message naming the field', async () => {
    const run = lab(articleLab({ adfs1: { address: 'not-an-address' } }));
    await expect(run.hop.readClient()).rejects.toMatchObject({
      code: 'powershell-unavailable',
      message: expect.stringMatching(/hosts\[1\]\.address.*IPv4/),
    });
  });
});

describe('what CredHop writes', () => {
  it('never writes the password into the journal or the audit log, which record every change', async () => {
    const run = lab();
    await fullFlow(run);
    await run.hop.test(ARTICLE, CRED, 'credssp');
    await run.hop.restoreAll(() => CRED, 'test');
    const journal = readFileSync(join(run.dir, 'practice', 'journal.jsonl'), 'utf8');
    const audit = readFileSync(join(run.dir, 'practice', 'audit.jsonl'), 'utf8');
    expect(journal).not.toContain(CANARY);
    expect(audit).not.toContain(CANARY);
    expect(journal).not.toContain('Canary');
    const entries = audit.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining([
      'add wsman/adfs1.company.pri to AllowFreshCredentials',
      'WinRM client CredSSP',
      'WinRM service CredSSP',
    ]));
    expect(entries.every((e) => e.who === 'company\\administrator' || e.who === 'COMPANY\\Administrator')).toBe(true);
    expect(entries.filter((e) => (e.action ?? '').startsWith('restore')).length).toBeGreaterThanOrEqual(3);
  });

  it('uses one PowerShell process for the whole flow', async () => {
    const run = lab();
    await fullFlow(run);
    await run.hop.test(ARTICLE, CRED, 'credssp');
    await run.hop.restoreAll(() => CRED, 'test');
    expect(run.services.engine()!.shell.processesStarted).toBe(1);
  });
});
