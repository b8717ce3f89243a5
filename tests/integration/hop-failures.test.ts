// Each failure from the reference's table, produced by the lab the way Windows produces it, and the
// cause and fix CredHop names for it (with the one-click fix applied where CredHop can).
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/shared/domain/hop';
import { titleFor, powershellFor } from '../../src/main/hop/plan';
import { ARTICLE, articleLab, CRED, labsForEachTest, machineState, type LabRun } from './lab-fixture';

const { lab } = labsForEachTest();

const delegated = { fresh: { allow: 1, concatenate: 1, entries: { '1': 'wsman/adfs1.company.pri' } } };

/** A plan holding just the diagnosis' fix, as the wizard's one-click fix applies it. */
function fixPlan(base: Plan, change: NonNullable<Awaited<ReturnType<LabRun['hop']['test']>>['diagnosis']>['fixChange']): Plan {
  return { ...base, blockers: [], changes: [{ id: 'fix', step: change!.host === 'client' ? 'client' : 'server', change: change!, title: titleFor(change!, ARTICLE.jumpServer), powershell: powershellFor(change!, ARTICLE.jumpServer) }] };
}

describe('diagnosed failures of the hop test', () => {
  it('E2: no delegation entry; the one-click fix adds it, the retest works, restore undoes it', async () => {
    const run = lab(articleLab({ dc1: { credssp: { client: true } }, adfs1: { credssp: { service: true } } }));
    const before = machineState(await run.state());
    const result = await run.hop.test(ARTICLE, CRED, 'credssp', { serverCredSSP: true });
    expect(result.diagnosis).toMatchObject({ id: 'E2', fixable: true, fixChange: { kind: 'add-delegation', spn: 'wsman/adfs1.company.pri' } });
    expect(result.errors[0]!.errorCode).toBe(-2144108125);
    const checked = await run.hop.check(ARTICLE, CRED);
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!);
    await run.hop.apply('client', ARTICLE, fixPlan(checked.plan!, result.diagnosis!.fixChange), session, CRED);
    expect((await run.hop.test(ARTICLE, CRED, 'credssp')).ok).toBe(true);
    expect((await run.hop.restoreAll(() => CRED, 'test')).clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
  });

  it('E2 for the short name when only the FQDN is delegated (Windows matches the name as typed)', async () => {
    const run = lab(articleLab({ dc1: { credssp: { client: true }, localPolicy: delegated }, adfs1: { credssp: { service: true } } }));
    const short = { ...ARTICLE, jumpServer: 'adfs1' };
    expect((await run.hop.test(short, CRED, 'credssp')).diagnosis).toMatchObject({ id: 'E2', fixChange: { spn: 'wsman/adfs1' } });
  });

  it('E4: the jump server does not accept CredSSP; the fix turns it on there', async () => {
    const run = lab(articleLab({ dc1: { credssp: { client: true }, localPolicy: delegated } }));
    const result = await run.hop.test(ARTICLE, CRED, 'credssp', { serverCredSSP: false });
    expect(result.diagnosis).toMatchObject({ id: 'E4', fixable: true, fixChange: { kind: 'server-credssp', enabled: true } });
    const checked = await run.hop.check(ARTICLE, CRED);
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!);
    await run.hop.apply('server', ARTICLE, fixPlan(checked.plan!, result.diagnosis!.fixChange), session, CRED);
    expect((await run.hop.test(ARTICLE, CRED, 'credssp')).ok).toBe(true);
    expect((await run.hop.restoreAll(() => CRED, 'test')).clean).toBe(true);
  });

  it('E5: CredSSP is off in the WinRM client', async () => {
    const run = lab(articleLab({ dc1: { localPolicy: delegated }, adfs1: { credssp: { service: true } } }));
    const result = await run.hop.test(ARTICLE, CRED, 'credssp', { serverCredSSP: true });
    expect(result.diagnosis).toMatchObject({ id: 'E5', fixable: true, fixChange: { kind: 'client-credssp' } });
  });

  it('E3: connected by address, so only the NTLM-only list would do; the fix carries a warning', async () => {
    // By address WinRM also needs the address in TrustedHosts (else ServerNotTrusted, see hop-managed).
    const run = lab(articleLab({ dc1: { credssp: { client: true }, localPolicy: delegated, trustedHosts: '192.168.3.11' }, adfs1: { credssp: { service: true } } }));
    const result = await run.hop.test({ ...ARTICLE, jumpServer: '192.168.3.11' }, CRED, 'credssp', { serverCredSSP: true });
    expect(result.diagnosis).toMatchObject({ id: 'E3', fixable: true, fixChange: { list: 'freshNtlm' } });
    expect(result.diagnosis!.warning).toMatch(/not verified/);
  });

  it('E3: a jump server without a WSMAN SPN', async () => {
    const run = lab(articleLab({ dc1: { credssp: { client: true }, localPolicy: delegated, trustedHosts: 'adfs1.company.pri' }, adfs1: { credssp: { service: true }, spn: false } }));
    expect((await run.hop.test(ARTICLE, CRED, 'credssp')).diagnosis?.id).toBe('E3');
  });

  it('E6: the HTTP SPN belongs to a service account', async () => {
    const run = lab(articleLab({ adfs1: { httpSpnConflict: true } }));
    const checked = await run.hop.check(ARTICLE, CRED);
    expect(checked.plan).toBeNull();
    expect(checked.diagnosis).toMatchObject({ id: 'E6', fixable: false });
  });

  it('E7: the account is not an administrator on the jump server, found by the check', async () => {
    const run = lab(articleLab({ adfs1: { admins: ['COMPANY\\Administrator'] } }, { accounts: [{ name: 'COMPANY\\Administrator' }, { name: 'COMPANY\\helpdesk' }] }));
    const helpdesk = { ...ARTICLE, account: 'COMPANY\\helpdesk' };
    const checked = await run.hop.check(helpdesk, { userName: 'COMPANY\\helpdesk', password: 'x' });
    expect(checked.diagnosis).toMatchObject({ id: 'E7', fixable: false });
    expect(checked.diagnosis!.fix).toMatch(/administrator on adfs1/);
  });

  it.each([
    ['unreachable', { reachable: false }],
    ['winrm-stopped', { winrm: false }],
  ])('%s: the check explains a jump server that does not answer', async (id, host) => {
    const run = lab(articleLab({ adfs1: host }));
    expect((await run.hop.check(ARTICLE, CRED)).diagnosis?.id).toBe(id);
  });

  it('not-found and ip-address: a name that does not resolve, and an address with Kerberos', async () => {
    const run = lab(articleLab({ dc1: { trustedHosts: '192.168.3.11' } }));
    expect((await run.hop.check({ ...ARTICLE, jumpServer: 'nosuch.company.pri' }, CRED)).diagnosis?.id).toBe('not-found');
    // Trusted, but without a credential WinRM refuses an address (CannotUseIPAddress)...
    expect((await run.hop.check({ ...ARTICLE, jumpServer: '192.168.3.11' }, null)).diagnosis?.id).toBe('ip-address');
    // ...and an address not in TrustedHosts is seen before any connection (see hop-address.test.ts).
    await run.setHost('dc1', { trustedHosts: '' });
    expect((await run.hop.check({ ...ARTICLE, jumpServer: '192.168.3.11' }, CRED)).diagnosis?.id).toBe('trusted-hosts');
  });
});

describe('refusals before any change', () => {
  it('not elevated: the plan is blocked and apply refuses, changing nothing', async () => {
    const run = lab(articleLab({ dc1: { elevated: false } }));
    const before = machineState(await run.state());
    const checked = await run.hop.check(ARTICLE, CRED);
    expect(checked.plan!.blockers.map((b) => b.code)).toContain('not-elevated');
    const session = run.hop.beginSession(ARTICLE, checked.snapshot!);
    await expect(run.hop.apply('client', ARTICLE, checked.plan!, session, CRED)).rejects.toMatchObject({ code: 'refused' });
    expect(machineState(await run.state())).toEqual(before);
  });

  it('a domain GPO owns the delegation list: blocked, with what the administrator must change', async () => {
    const run = lab(articleLab({ dc1: { domainPolicy: { fresh: { allow: 1, concatenate: 1, entries: { '1': 'wsman/other.company.pri' } } } } }));
    const checked = await run.hop.check(ARTICLE, CRED);
    const blocker = checked.plan!.blockers.find((b) => b.code === 'delegation-policy-managed');
    expect(blocker?.resolution).toMatch(/GPO/);
    expect(checked.plan!.alternative.recommended).toBe(true);
  });

  it('a domain GPO forces the jump server\'s WinRM CredSSP off (W1): blocked', async () => {
    const run = lab(articleLab({ adfs1: { domainPolicy: { winrmServiceAllowCredSSP: 0 } } }));
    const checked = await run.hop.check(ARTICLE, CRED);
    expect(checked.plan!.blockers.map((b) => b.code)).toContain('server-winrm-policy');
  });
});
