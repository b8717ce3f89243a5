// The managed workstation (tests/lab/managed-workstation.json): WinRM stopped and Manual on the
// client, TrustedHosts empty, a delegation entry a script wrote straight into the registry. CredHop
// starts WinRM only because its plan needs it, keeps the script's entry, and restores the service's
// status and start type exactly. Ownership of a differing list comes from Windows' RSoP record.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabFile } from '../support/labs';
import { articleLab } from '../support/labs';
import { ARTICLE, CRED, labsForEachTest, machineState, removeDir } from './lab-fixture';

const { lab } = labsForEachTest();
const MANAGED = 'tests/lab/managed-workstation.json';
const managed = (): LabFile & Record<string, unknown> => JSON.parse(readFileSync(MANAGED, 'utf8')) as LabFile & Record<string, unknown>;

describe('the managed workstation', () => {
  it('starts WinRM for the client step, keeps the script-written entry, and restores service and lists exactly', async () => {
    const run = lab(MANAGED);
    const before = machineState(await run.state());
    const checked = await run.hop.check(ARTICLE, CRED);
    expect(checked.snapshot!.client.winrmService).toEqual({ status: 'Stopped', startType: 'Manual' });
    expect(checked.snapshot!.client.winrm.clientCredSSP).toBe(false); // read from where WinRM keeps it, service stopped
    expect(checked.plan!.blockers).toEqual([]);
    expect(checked.plan!.changes.map((c) => c.change.kind)).toEqual(['add-delegation', 'winrm-service', 'client-credssp', 'server-credssp']);
    expect(checked.plan!.risks.join(' ')).toMatch(/no Group Policy set.*wsman\/legacy-jump\.company\.pri.*leaves them/);
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!);
    const client = await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
    expect({ verified: client.verified, winrm: client.client.winrm, service: client.client.winrmService, fresh: client.client.delegation.fresh }).toMatchObject({ verified: true });
    expect(client.client.winrmService?.status).toBe('Running');
    expect((await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED)).verified).toBe(true);
    expect((await run.hop.test(ARTICLE, CRED, 'credssp')).ok).toBe(true);
    const restored = await run.hop.restoreAll(() => CRED, 'test');
    expect(restored.sessions[0]!.differences).toEqual([]);
    expect(restored.clean).toBe(true);
    expect(restored.sessions[0]!.operations.join('\n')).toMatch(/WinRM service set back to Stopped \(Manual\)/);
    const after = await run.state();
    expect(machineState(after)).toEqual(before);
    await run.gpupdate('ws1');
    expect(machineState(await run.state())).toEqual(before); // and it stays so after Group Policy applies
  });

  it('a script-written list is kept and not blamed on a domain GPO, while a real domain GPO still blocks with its name', async () => {
    const scripted = lab(MANAGED);
    const plan = (await scripted.hop.check(ARTICLE, CRED)).plan!;
    expect(plan.blockers.map((b) => b.code)).not.toContain('delegation-policy-managed');

    const domain = lab(articleLab({ dc1: { domainPolicy: { gpoName: 'Tier-1 Workstation Baseline', fresh: { allow: 1, concatenate: 1, entries: { 1: 'wsman/other.company.pri' } } } } }));
    await domain.gpupdate('dc1');
    const blocked = (await domain.hop.check(ARTICLE, CRED)).plan!;
    const b = blocked.blockers.find((x) => x.code === 'delegation-policy-managed');
    expect(b?.message).toMatch(/domain Group Policy "Tier-1 Workstation Baseline"/);
    expect(b?.resolution).toMatch(/wsman\/adfs1\.company\.pri/);
  });

  it('says "unknown" when RSoP cannot be read, instead of guessing who owns the list', async () => {
    const file = managed();
    (file.hosts as Record<string, unknown>[])[0]!.rsopLogging = false;
    const run = lab(file);
    const plan = (await run.hop.check(ARTICLE, CRED)).plan!;
    expect(plan.blockers.map((b) => b.code)).toContain('delegation-owner-unknown');
    expect(plan.blockers.find((b) => b.code === 'delegation-owner-unknown')!.resolution).toMatch(/gpresult/);
  });

  it('a jump server where CredHop cannot run (App Control: ConstrainedLanguage; Group Policy: Restricted) blocks the check with the reason, before anything changes; AllSigned is a stated risk', async () => {
    const run = lab(articleLab());
    const before = machineState(await run.state());
    await run.setHost('adfs1', { endpointLanguageMode: 'ConstrainedLanguage' });
    const clm = await run.hop.check(ARTICLE, CRED);
    expect(clm.snapshot?.server.languageMode).toBe('ConstrainedLanguage');
    expect(clm.plan!.blockers.find((b) => b.code === 'jump-server-locked-down')?.message).toMatch(/adfs1\.company\.pri runs CredHop's commands in ConstrainedLanguage/);
    await run.setHost('adfs1', { endpointLanguageMode: 'FullLanguage', executionPolicy: 'Restricted' });
    const restricted = (await run.hop.check(ARTICLE, CRED)).plan!;
    expect(restricted.blockers.find((b) => b.code === 'jump-server-locked-down')?.message).toMatch(/Restricted, so no script runs there/);
    await run.setHost('adfs1', { executionPolicy: 'AllSigned' });
    const signed = (await run.hop.check(ARTICLE, CRED)).plan!;
    expect(signed.blockers.map((b) => b.code)).not.toContain('jump-server-locked-down');
    expect(signed.risks.join('\n')).toMatch(/AllSigned on adfs1\.company\.pri: .*Trusted Publishers/);
    expect(machineState(await run.state())).toEqual(before);
  });

  it('a disabled WinRM service is a blocker with what an administrator must change; nothing is started', async () => {
    const file = managed();
    (file.hosts as Record<string, unknown>[])[0]!.winrmStartType = 'Disabled';
    const run = lab(file);
    const plan = (await run.hop.check(ARTICLE, CRED)).plan!;
    expect(plan.blockers.find((b) => b.code === 'winrm-service-disabled')?.resolution).toMatch(/Manual/);
    expect(plan.changes.map((c) => c.change.kind)).not.toContain('winrm-service');
  });

  it('the misleading "cannot connect to the destination" on this computer is diagnosed as WinRM not running', async () => {
    const run = lab(articleLab());
    const checked = await run.hop.check(ARTICLE, CRED); // WinRM was running when checked...
    await run.setHost('dc1', { winrm: false }); // ...and someone stopped it before the client step
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!);
    const error = await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/WinRM is not running on this computer/);
    expect((error as Error).message).not.toMatch(/firewall|did not answer/i);
    // Restore takes back what CredHop did (the delegation entry) and reports, not undoes, what someone
    // else did: CredHop did not stop WinRM, so it does not start it again.
    const report = await run.hop.restoreAll(() => CRED, 'test');
    expect(report.sessions[0]!.differences).toEqual(['The WinRM service on this computer is Stopped (Automatic) (was Running (Automatic)).']);
  });

  it('the TrustedHosts error is diagnosed by its code (connected by address, not in TrustedHosts)', async () => {
    const delegated = { fresh: { allow: 1, concatenate: 1, entries: { 1: 'wsman/adfs1.company.pri' } } };
    const run = lab(articleLab({ dc1: { credssp: { client: true }, localPolicy: delegated }, adfs1: { credssp: { service: true } } }));
    const result = await run.hop.test({ ...ARTICLE, jumpServer: '192.168.3.11' }, CRED, 'credssp', { serverCredSSP: true });
    expect(result.errors[0]?.errorCode).toBe(-2144108316);
    expect(result.diagnosis).toMatchObject({ id: 'trusted-hosts', fixable: true, fixChange: { kind: 'trusted-hosts', host: 'client', entry: '192.168.3.11' } });
    expect(result.diagnosis!.fix).toMatch(/TrustedHosts -Value 192\.168\.3\.11 -Concatenate/);
    expect(result.diagnosis!.fix).toMatch(/never \*/);
  });

  it('the command line\'s practice flow passes on it end to end and restores the service', () => {
    if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` (scripts/setup.sh does) first.');
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-managed-'));
    try {
      const r = spawnSync(process.execPath, ['bin/credhop.cjs', 'practice', '--lab', MANAGED], { env: { ...process.env, CREDHOP_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 300_000 });
      expect(r.stdout).toMatch(/The hop works/);
      expect(r.stdout).toMatch(/WinRM service set back to Stopped \(Manual\)/);
      expect(r.stdout).toMatch(/Everything is back as it was/);
      expect(r.status).toBe(0);
    } finally {
      removeDir(dataDir);
    }
  }, 300_000);
});
