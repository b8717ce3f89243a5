// The hop by address, on the managed workstation (tests/lab/managed-workstation.json: ws1 with WinRM
// stopped and Manual, TrustedHosts empty; the jump server adfs1 at 192.168.10.11). By address Kerberos
// cannot verify the jump server, so CredSSP needs wsman/<address> in the NTLM-only list AND the address
// in TrustedHosts — which CredHop's own management connection needs before it can even read the server.
// Real pwsh, the real module, the lab; each test on its own lab.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HopTarget } from '../../src/main/hop/engine';
import { z } from 'zod';
import { diagnose } from '../../src/main/hop/diagnose';
import { PrimitiveError } from '../../src/main/powershell/engine';
import type { LabFile } from '../support/labs';
import { CRED, labsForEachTest, machineState, type LabRun } from './lab-fixture';

const { lab } = labsForEachTest();
const MANAGED = 'tests/lab/managed-workstation.json';
const ADDRESS = '192.168.10.11';
const BY_ADDRESS: HopTarget = {
  profileId: '00000000-0000-4000-8000-000000000011',
  profileName: 'adfs1 by address',
  jumpServer: ADDRESS,
  target: 'mem2.company.pri',
  account: 'COMPANY\\Administrator',
};

type Host = Record<string, unknown>;
function managed(edit?: (ws1: Host) => void): LabFile & Record<string, unknown> {
  const file = JSON.parse(readFileSync(MANAGED, 'utf8')) as LabFile & Record<string, unknown>;
  if (edit) edit((file.hosts as Host[])[0]!);
  return file;
}

async function ws1(run: LabRun): Promise<{ trustedHosts: unknown; winrm: unknown; winrmStartType: unknown }> {
  const h = (await run.state()).hosts['ws1'] as Record<string, unknown>;
  return { trustedHosts: h['trustedHosts'], winrm: h['winrm'], winrmStartType: h['winrmStartType'] };
}

/** Check; when the address is not trusted yet, apply the check's own fix (confirmed) and check again. */
async function checkTrusting(run: LabRun) {
  const first = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
  if (first.snapshot) return { first, checked: first, trusted: null };
  expect(first.diagnosis?.id).toBe('trusted-hosts');
  const trusted = await run.hop.trustJumpServer(BY_ADDRESS, first.client!);
  const checked = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
  return { first, checked, trusted };
}

describe('the hop by address', () => {
  it('is diagnosed, planned under one warned confirmation, works, and is restored exactly (TrustedHosts empty before)', async () => {
    const run = lab(MANAGED);
    const before = machineState(await run.state());

    // 1. The check reads this computer, sees the address is not trusted, and stops there with a fix.
    const first = await run.hop.check(BY_ADDRESS, CRED);
    expect(first.snapshot).toBeNull();
    expect(first.client?.trustedHosts).toEqual({ value: '', policyOwned: false }); // read while WinRM is stopped
    expect(first.diagnosis).toMatchObject({ id: 'trusted-hosts', fixable: true, fixChange: { kind: 'trusted-hosts', host: 'client', entry: ADDRESS } });
    expect(first.diagnosis!.warning).toMatch(/NTLM-only.*TrustedHosts/);
    expect(machineState(await run.state())).toEqual(before); // the check changed nothing

    // 2. The fix: start WinRM and add exactly the address, journaled; then the check reads the server.
    const trusted = await run.hop.trustJumpServer(BY_ADDRESS, first.client!);
    expect(trusted.verified).toBe(true);
    expect(trusted.applied.map((a) => a.change.kind)).toEqual(['winrm-service', 'trusted-hosts']);
    expect(await ws1(run)).toEqual({ trustedHosts: ADDRESS, winrm: true, winrmStartType: 'Manual' });

    // 3. Without the confirmation the plan is refused; with it, both entries are planned together.
    const unconfirmed = await run.hop.check(BY_ADDRESS, CRED);
    expect(unconfirmed.plan!.blockers.map((b) => b.code)).toEqual(['ntlm-only-unconfirmed']);
    expect(unconfirmed.plan!.blockers[0]!.message).toMatch(/IP address.*NTLM-only.*TrustedHosts/);
    const refused = await run.hop.apply('client', BY_ADDRESS, unconfirmed.plan!, run.hop.beginSession(BY_ADDRESS, unconfirmed.snapshot!), CRED).catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(Error);
    expect(await ws1(run)).toEqual({ trustedHosts: ADDRESS, winrm: true, winrmStartType: 'Manual' });

    const checked = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
    const plan = checked.plan!;
    expect(plan.blockers).toEqual([]);
    expect(plan.spn).toBe(`wsman/${ADDRESS}`);
    expect(plan.changes.map((c) => c.change)).toEqual([
      { kind: 'add-delegation', host: 'client', list: 'freshNtlm', spn: `wsman/${ADDRESS}` },
      { kind: 'client-credssp', host: 'client', enabled: true },
      { kind: 'server-credssp', host: 'server', enabled: true },
    ]); // TrustedHosts is listed already (the fix did it) and WinRM runs: no change twice

    // 4. Apply and test the hop: CredSSP by address works.
    const session = run.hop.beginSession(BY_ADDRESS, checked.snapshot!);
    expect((await run.hop.apply('client', BY_ADDRESS, plan, session, CRED)).verified).toBe(true);
    expect((await run.hop.apply('server', BY_ADDRESS, plan, session, CRED)).verified).toBe(true);
    const test = await run.hop.test(BY_ADDRESS, CRED, 'credssp');
    expect(test.errors).toEqual([]);
    expect(test.ok).toBe(true);

    // 5. Restore: both sessions, newest first; everything back, service status and start type included.
    const restored = await run.hop.restoreAll(() => CRED, 'test');
    expect(restored.sessions.map((s) => s.differences)).toEqual([[], []]);
    expect(restored.clean).toBe(true);
    expect(restored.sessions[1]!.operations.join('\n')).toMatch(/TrustedHosts set back to ""[\s\S]*WinRM service set back to Stopped \(Manual\)/);
    expect(await ws1(run)).toEqual({ trustedHosts: '', winrm: false, winrmStartType: 'Manual' });
    expect(machineState(await run.state())).toEqual(before);
  });

  it('restores a non-empty list exactly, and adds nothing when a wildcard entry already trusts the address', async () => {
    const run = lab(managed((h) => { h['trustedHosts'] = 'srv9,10.1.1.1'; }));
    await run.setHost('ws1', { trustedHosts: 'srv9,10.1.1.1' });
    // The management connection needs the address trusted; with the list as it is, the check stops:
    const first = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
    expect(first.diagnosis?.fixChange).toEqual({ kind: 'trusted-hosts', host: 'client', entry: ADDRESS });
    const before = machineState(await run.state());
    // Now the same from a list that trusts it through a wildcard: the check reads the server, and the
    // plan adds nothing to TrustedHosts (already allowed).
    await run.setHost('ws1', { trustedHosts: 'srv9,192.168.10.*' });
    const wild = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
    expect(wild.plan!.changes.map((c) => c.change.kind)).not.toContain('trusted-hosts');
    await run.setHost('ws1', { trustedHosts: 'srv9,10.1.1.1' });

    const { checked, trusted } = await checkTrusting(run);
    expect(trusted?.verified).toBe(true);
    expect(await ws1(run)).toMatchObject({ trustedHosts: `srv9,10.1.1.1,${ADDRESS}` });
    const session = run.hop.beginSession(BY_ADDRESS, checked.snapshot!);
    await run.hop.apply('client', BY_ADDRESS, checked.plan!, session, CRED);
    await run.hop.apply('server', BY_ADDRESS, checked.plan!, session, CRED);
    expect((await run.hop.test(BY_ADDRESS, CRED, 'credssp')).ok).toBe(true);
    const restored = await run.hop.restoreAll(() => CRED, 'test');
    expect(restored.clean).toBe(true);
    expect(await ws1(run)).toEqual({ trustedHosts: 'srv9,10.1.1.1', winrm: false, winrmStartType: 'Manual' });
    expect(machineState(await run.state())).toEqual(before);
  });

  it('a TrustedHosts list a Group Policy owns is refused before any change, with what the administrator must change', async () => {
    const run = lab(managed((h) => { h['domainPolicy'] = { gpoName: 'Tier-1 Workstation Baseline', winrmClientTrustedHosts: 'srv9.company.pri' }; }));
    await run.gpupdate('ws1');
    const before = machineState(await run.state());
    const checked = await run.hop.check(BY_ADDRESS, CRED, { ntlmOnlyConfirmed: true });
    expect(checked.client?.trustedHosts).toEqual({ value: 'srv9.company.pri', policyOwned: true });
    expect(checked.diagnosis).toMatchObject({ id: 'trusted-hosts', fixable: false });
    expect(checked.diagnosis!.fix).toMatch(/Group Policy sets TrustedHosts.*domain administrator.*192\.168\.10\.11/);
    const refused = await run.hop.trustJumpServer(BY_ADDRESS, checked.client!).catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/Group Policy sets that list/);
    expect(run.hop.openSessions()).toEqual([]); // refused before a session began
    expect(machineState(await run.state())).toEqual(before);
  });

  it('someone else\'s TrustedHosts edit after apply is kept by restore; only CredHop\'s entry goes', async () => {
    const run = lab(MANAGED);
    const { checked } = await checkTrusting(run);
    const session = run.hop.beginSession(BY_ADDRESS, checked.snapshot!);
    await run.hop.apply('client', BY_ADDRESS, checked.plan!, session, CRED);
    await run.setHost('ws1', { trustedHosts: `${ADDRESS},backup01.company.pri` }); // an administrator adds a machine
    const restored = await run.hop.restoreAll(() => CRED, 'test');
    expect(restored.clean).toBe(true);
    expect(restored.sessions.flatMap((s) => s.operations).join('\n')).toMatch(/changed by someone else.*removed only its own entry.*kept their change/);
    expect(await ws1(run)).toEqual({ trustedHosts: 'backup01.company.pri', winrm: false, winrmStartType: 'Manual' });
    expect(run.hop.openSessions()).toEqual([]);
  });

  it('the SetTrustedHosts primitive refuses a wildcard, and fails with a typed error while WinRM is stopped or a GPO owns the list, changing nothing', async () => {
    const run = lab(MANAGED);
    const ps = run.services.engine()!;
    const before = machineState(await run.state());
    const kind = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof PrimitiveError ? e.record.kind : String(e)));
    expect(await kind(ps.call('SetTrustedHosts', { add: '*' }, z.unknown()))).toBe('invalid-payload'); // never a wildcard
    expect(await kind(ps.call('SetTrustedHosts', { add: ADDRESS }, z.unknown()))).toBe('winrm-stopped');
    await run.setHost('ws1', { winrm: true });
    expect(await kind(ps.call('SetTrustedHosts', { add: '*.company.pri' }, z.unknown()))).toBe('invalid-payload');
    expect(await kind(ps.call('SetTrustedHosts', { value: 'x', expect: 'not what it is' }, z.unknown()))).toBe('changed-meanwhile');
    await run.setHost('ws1', { winrm: false });
    expect(machineState(await run.state())).toEqual(before);
    const gpo = lab(managed((h) => { h['winrm'] = true; h['winrmStartType'] = 'Automatic'; h['domainPolicy'] = { gpoName: 'Baseline', winrmClientTrustedHosts: 'srv9' }; }));
    await gpo.gpupdate('ws1');
    expect(await kind(gpo.services.engine()!.call('SetTrustedHosts', { add: ADDRESS }, z.unknown()))).toBe('policy-owned');
  });

  it('the TrustedHosts error is diagnosed by its code, in any language', async () => {
    // A jump server by name without a WSMAN SPN: the management connection works (Kerberos to the
    // name), the CredSSP test is refused by WinRM with ServerNotTrusted.
    const run = lab(MANAGED);
    const NAME: HopTarget = { ...BY_ADDRESS, jumpServer: 'adfs1.company.pri' };
    await run.setHost('adfs1', { spn: false });
    const checked = await run.hop.check(NAME, CRED);
    const session = run.hop.beginSession(NAME, checked.snapshot!);
    await run.hop.apply('client', NAME, checked.plan!, session, CRED);
    await run.hop.apply('server', NAME, checked.plan!, session, CRED);
    const test = await run.hop.test(NAME, CRED, 'credssp');
    expect(test.errors[0]!.errorCode).toBe(-2144108316);
    expect(test.diagnosis).toMatchObject({ id: 'trusted-hosts', fixable: true, fixChange: { kind: 'trusted-hosts', entry: 'adfs1.company.pri' } });
    // Confirmed, the plan (the server could be read) has both entries under the one confirmation.
    const again = await run.hop.check(NAME, CRED, { ntlmOnlyConfirmed: true });
    expect(again.plan!.changes.map((c) => c.change)).toEqual([
      { kind: 'add-delegation', host: 'client', list: 'freshNtlm', spn: 'wsman/adfs1.company.pri' },
      { kind: 'trusted-hosts', host: 'client', entry: 'adfs1.company.pri' },
    ]);
    await run.hop.apply('client', NAME, again.plan!, run.hop.beginSession(NAME, again.snapshot!), CRED);
    expect((await run.hop.test(NAME, CRED, 'credssp')).ok).toBe(true);
    // The same code with a German message is the same diagnosis.
    const german = diagnose({ message: 'Der WinRM-Client kann die Anforderung nicht verarbeiten.', errorCode: -2144108316, fullyQualifiedErrorId: 'ServerNotTrusted,PSSessionStateBroken' }, { jumpServer: ADDRESS, target: 'mem2', stage: 'jump' });
    expect(german.id).toBe('trusted-hosts');
    const before = machineState(await run.state());
    expect((await run.hop.restoreAll(() => CRED, 'test')).clean).toBe(true);
    const after = (await run.state()).hosts['ws1'] as Record<string, unknown>;
    expect({ trustedHosts: after['trustedHosts'], winrm: after['winrm'] }).toEqual({ trustedHosts: '', winrm: false });
    expect(machineState(await run.state())).not.toEqual(before);
  });
});
