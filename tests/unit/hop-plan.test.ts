import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/main/hop/plan';
import { entryAllows } from '../../src/main/hop/match';
import { host, list, server, snap } from '../support/states';

const base = { jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', account: 'COMPANY\\Administrator' };

describe('planning', () => {
  it('plans the article\'s three changes on a machine where nothing is configured', () => {
    const plan = buildPlan({ ...base, snapshot: snap() });
    expect(plan.blockers).toEqual([]);
    expect(plan.changes.map((c) => [c.step, c.change.kind])).toEqual([
      ['client', 'add-delegation'],
      ['client', 'client-credssp'],
      ['server', 'server-credssp'],
    ]);
    expect(plan.changes[0]!.change).toEqual({ kind: 'add-delegation', host: 'client', list: 'fresh', spn: 'wsman/adfs1.company.pri' });
    expect(plan.changes[0]!.powershell).toContain("'wsman/adfs1.company.pri'");
    expect(plan.changes[2]!.powershell).toBe("Invoke-Command -ComputerName 'adfs1.company.pri' -ScriptBlock { Set-Item -Path WSMan:\\localhost\\Service\\Auth\\CredSSP -Value 'true' -Force }");
    expect(plan.risks.join(' ')).toMatch(/password/);
  });

  it('changes nothing that is already in place, and never adds a duplicate', () => {
    const client = host({ fresh: { '1': 'TERMSRV/*', '2': 'wsman/adfs1.company.pri' }, winrm: { clientCredSSP: true, serviceCredSSP: false, clientPolicyAllowCredSSP: null, servicePolicyAllowCredSSP: null } });
    const plan = buildPlan({ ...base, snapshot: snap(client, server({ serviceCredSSP: true })) });
    expect(plan.changes).toEqual([]);
  });

  it('uses the name exactly as typed: an FQDN entry does not cover the short name', () => {
    const client = host({ fresh: { '1': 'wsman/adfs1.company.pri' } });
    const plan = buildPlan({ ...base, jumpServer: 'adfs1', snapshot: snap(client, server(), 'adfs1') });
    expect(plan.changes[0]!.change).toMatchObject({ kind: 'add-delegation', spn: 'wsman/adfs1' });
  });

  it('counts an existing wildcard entry as in place', () => {
    const client = host({ fresh: { '1': 'wsman/*.company.pri' } });
    const plan = buildPlan({ ...base, snapshot: snap(client) });
    expect(plan.changes.some((c) => c.change.kind === 'add-delegation')).toBe(false);
  });

  it('needs a separate confirmation before it plans a wildcard, and marks it as a risk', () => {
    const unconfirmed = buildPlan({ ...base, snapshot: snap(), wildcard: { spn: 'wsman/*.company.pri', confirmed: false } });
    expect(unconfirmed.blockers.map((b) => b.code)).toEqual(['wildcard-unconfirmed']);
    // What it lists is what a confirmation would apply.
    expect(unconfirmed.changes[0]!.change).toMatchObject({ kind: 'add-delegation', spn: 'wsman/*.company.pri' });
    const confirmed = buildPlan({ ...base, snapshot: snap(), wildcard: { spn: 'wsman/*.company.pri', confirmed: true } });
    expect(confirmed.blockers).toEqual([]);
    expect(confirmed.spn).toBe('wsman/*.company.pri');
    expect(confirmed.risks.join(' ')).toMatch(/Wildcard/);
  });

  it('refuses a confirmed wildcard that does not cover the jump server', () => {
    const plan = buildPlan({ ...base, snapshot: snap(), wildcard: { spn: 'wsman/*.contoso.com', confirmed: true } });
    expect(plan.blockers.map((b) => b.code)).toEqual(['wildcard-mismatch']);
    expect(plan.blockers[0]!.resolution).toMatch(/wsman\/\*\.company\.pri/);
  });

  it('uses the NTLM-only list only when confirmed, with its risk spelled out', () => {
    const plan = buildPlan({ ...base, snapshot: snap(), ntlmOnlyConfirmed: true });
    const add = plan.changes.find((c) => c.change.kind === 'add-delegation')!;
    expect(add.change).toMatchObject({ list: 'freshNtlm' });
    expect(add.risk).toMatch(/identity/);
  });

  it('refuses when not elevated, saying what to do', () => {
    const plan = buildPlan({ ...base, snapshot: snap(host({ isElevated: false })) });
    expect(plan.blockers).toContainEqual(expect.objectContaining({ code: 'not-elevated', resolution: expect.stringMatching(/Run as administrator/) }));
  });

  it('refuses when a domain GPO owns the delegation list (from RSoP), names it, and recommends the no-configuration alternative', () => {
    const client = { ...host({ fresh: {}, freshEffective: { '1': 'wsman/other.company.pri' } }), policyOwners: { rsopAvailable: true, fresh: { id: 'cn={GUID},cn=policies', name: 'Tier-1 Baseline' }, freshNtlm: null } };
    const plan = buildPlan({ ...base, snapshot: snap(client) });
    expect(plan.blockers.map((b) => b.code)).toContain('delegation-policy-managed');
    expect(plan.blockers[0]!.message).toMatch(/"Tier-1 Baseline"/);
    expect(plan.blockers[0]!.resolution).toMatch(/domain administrator/);
    expect(plan.alternative.recommended).toBe(true);
  });

  it('keeps a registry list a script wrote (no RSoP record) and plans on; says "unknown" without RSoP', () => {
    const differing = host({ fresh: {}, freshEffective: { '1': 'wsman/legacy.company.pri' } });
    const scripted = buildPlan({ ...base, snapshot: snap({ ...differing, policyOwners: { rsopAvailable: true, fresh: null, freshNtlm: null } }) });
    expect(scripted.blockers).toEqual([]);
    expect(scripted.risks.join(' ')).toMatch(/wsman\/legacy\.company\.pri.*leaves them exactly as they are/);
    const unknown = buildPlan({ ...base, snapshot: snap({ ...differing, policyOwners: { rsopAvailable: false, fresh: null, freshNtlm: null } }) });
    expect(unknown.blockers.map((b) => b.code)).toEqual(['delegation-owner-unknown']);
    // A snapshot from before CredHop read RSoP counts as unknown too, never as "a script".
    expect(buildPlan({ ...base, snapshot: snap(differing) }).blockers.map((b) => b.code)).toEqual(['delegation-owner-unknown']);
  });

  it('says so when the Local Group Policy Editor is open (it would rewrite the policy file on close)', () => {
    expect(buildPlan({ ...base, snapshot: snap({ ...host({}), policyEditorOpen: true }) }).risks.join(' ')).toMatch(/gpedit\.msc\) is open/);
    expect(buildPlan({ ...base, snapshot: snap({ ...host({}), policyEditorOpen: null }) }).risks.join(' ')).not.toMatch(/gpedit/);
  });

  it('starts the stopped WinRM service for the client flag, and blocks on a disabled one', () => {
    const stopped = buildPlan({ ...base, snapshot: snap({ ...host({}), winrmService: { status: 'Stopped', startType: 'Manual' } }) });
    expect(stopped.changes.map((c) => c.change.kind)).toEqual(['add-delegation', 'winrm-service', 'client-credssp', 'server-credssp']);
    const disabled = buildPlan({ ...base, snapshot: snap({ ...host({}), winrmService: { status: 'Stopped', startType: 'Disabled' } }) });
    expect(disabled.blockers.map((b) => b.code)).toEqual(['winrm-service-disabled']);
    const running = buildPlan({ ...base, snapshot: snap({ ...host({}), winrmService: { status: 'Running', startType: 'Automatic' } }) });
    expect(running.changes.map((c) => c.change.kind)).not.toContain('winrm-service');
  });

  it('refuses when WinRM AllowCredSSP policies own the flags on either machine', () => {
    const client = host({ winrm: { clientCredSSP: false, serviceCredSSP: false, clientPolicyAllowCredSSP: 0, servicePolicyAllowCredSSP: null } });
    const plan = buildPlan({ ...base, snapshot: snap(client, server({ servicePolicyAllowCredSSP: 0 })) });
    expect(plan.blockers.map((b) => b.code)).toEqual(expect.arrayContaining(['client-winrm-policy', 'server-winrm-policy']));
  });

  it('recommends explicit credentials when the target needs another account', () => {
    const plan = buildPlan({ ...base, snapshot: snap(), targetAccount: 'MEM2\\localadmin' });
    expect(plan.alternative.recommended).toBe(true);
    expect(plan.alternative.powershell).toContain("-Credential $using:targetCred");
    expect(plan.alternative.powershell).toContain("'mem2.company.pri'");
  });

  it('warns about the CVE-2018-0886 setting when it allows vulnerable connections', () => {
    expect(buildPlan({ ...base, snapshot: snap(host({ encryptionOracle: 2 })) }).risks.join(' ')).toMatch(/CVE-2018-0886/);
  });

  it('refuses a target that is the jump server', () => {
    expect(buildPlan({ ...base, target: 'ADFS1.company.pri', snapshot: snap() }).blockers.map((b) => b.code)).toContain('same-host');
  });

  it('quotes shown PowerShell safely even for odd values', () => {
    const plan = buildPlan({ ...base, snapshot: snap(), wildcard: { spn: "wsman/*.o'brien.pri", confirmed: true } });
    expect(plan.changes[0]!.powershell).toContain("'wsman/*.o''brien.pri'");
  });
});

describe('planning with local accounts (HOST\\user)', () => {
  const comment = { ...base, account: 'ADFS1\\Administrator', targetAccount: 'MEM2\\Administrator' };
  const trusting = () => host({ trustedHosts: { value: 'adfs1.company.pri', policyOwned: false } });

  it('a local account of the jump server goes through the NTLM-only list under one confirmation, explained first', () => {
    const unconfirmed = buildPlan({ ...comment, snapshot: snap(trusting(), server({ trustedHosts: 'mem2.company.pri' })) });
    expect(unconfirmed.blockers.map((b) => b.code)).toEqual(['ntlm-only-unconfirmed']);
    expect(unconfirmed.blockers[0]!.message).toMatch(/^ADFS1\\Administrator is a local account of adfs1\.company\.pri, so Windows signs it in with NTLM\. Windows cannot verify who adfs1\.company\.pri is \(ADFS1\\Administrator is a local account/);
    expect(unconfirmed.risks[0]).toMatch(/Kerberos cannot sign in a local account.*TrustedHosts must list adfs1\.company\.pri even by name.*NTLM-only.*nobody verifies/);
    const plan = buildPlan({ ...comment, ntlmOnlyConfirmed: true, snapshot: snap(trusting(), server({ trustedHosts: 'mem2.company.pri' })) });
    expect(plan.blockers).toEqual([]);
    expect(plan.changes[0]!.change).toEqual({ kind: 'add-delegation', host: 'client', list: 'freshNtlm', spn: 'wsman/adfs1.company.pri' });
    // TrustedHosts on this computer: exactly the jump server when it is missing, never a wildcard
    const adding = buildPlan({ ...comment, ntlmOnlyConfirmed: true, snapshot: snap(host({ trustedHosts: { value: '', policyOwned: false } }), server({ trustedHosts: 'mem2.company.pri' })) });
    expect(adding.changes.filter((c) => c.change.kind === 'trusted-hosts').map((c) => c.change)).toEqual([{ kind: 'trusted-hosts', host: 'client', entry: 'adfs1.company.pri' }]);
    expect(plan.alternative.powershell).toMatch(/^# ADFS1\\Administrator is a local account \(NTLM\): this computer's TrustedHosts must list adfs1\.company\.pri\./);
  });

  it('a domain account by name still uses the plain fresh list', () => {
    const plan = buildPlan({ ...base, targetAccount: 'COMPANY\\helpdesk', snapshot: snap() });
    expect(plan.changes[0]!.change).toMatchObject({ list: 'fresh' });
    expect(plan.blockers).toEqual([]);
  });

  it('a local account of the target needs the target in the jump server\'s own TrustedHosts: a blocker naming the operator\'s step', () => {
    const missing = buildPlan({ ...comment, ntlmOnlyConfirmed: true, snapshot: snap(trusting(), server({ trustedHosts: 'srv9' })) });
    expect(missing.blockers.map((b) => b.code)).toEqual(['jump-trusted-hosts']);
    expect(missing.blockers[0]!.message).toMatch(/not in adfs1\.company\.pri's own TrustedHosts list \(it holds srv9\)/);
    expect(missing.blockers[0]!.resolution).toContain("-Value 'mem2.company.pri' -Concatenate -Force");
    // a wildcard someone put there covers it; an older snapshot (not read) says nothing
    expect(buildPlan({ ...comment, ntlmOnlyConfirmed: true, snapshot: snap(trusting(), server({ trustedHosts: '*.company.pri' })) }).blockers).toEqual([]);
    expect(buildPlan({ ...comment, ntlmOnlyConfirmed: true, snapshot: snap(trusting(), server()) }).blockers).toEqual([]);
  });

  it('refuses to send the jump server\'s local account on to the target', () => {
    const plan = buildPlan({ ...comment, targetAccount: undefined, ntlmOnlyConfirmed: true, snapshot: snap(trusting(), server({ trustedHosts: 'mem2.company.pri' })) });
    expect(plan.blockers.map((b) => b.code)).toEqual(['local-account-elsewhere']);
    expect(plan.blockers[0]!.message).toMatch(/means nothing on mem2\.company\.pri/);
  });
});

describe('matching delegation entries as Windows does', () => {
  it.each([
    ['wsman/adfs1.company.pri', 'wsman/adfs1.company.pri', true],
    ['WSMAN/ADFS1.company.pri', 'wsman/adfs1.company.pri', true],
    ['wsman/*.company.pri', 'wsman/adfs1.company.pri', true],
    ['wsman/*.company.pri', 'wsman/company.pri', false],
    ['wsman/*.company.pri', 'wsman/adfs1', false],
    ['wsman/*', 'wsman/anything', true],
    ['TERMSRV/*', 'wsman/adfs1', false],
    ['wsman/adfs1', 'wsman/adfs1.company.pri', false],
  ])('%s allows %s: %s', (entry, spn, expected) => {
    expect(entryAllows(entry, spn)).toBe(expected);
  });

  it('ignores a list whose DWORD is off', () => {
    const client = host({ fresh: { '1': 'wsman/adfs1.company.pri' } });
    client.delegation.fresh.local = list({ '1': 'wsman/adfs1.company.pri' }, { allow: 0 });
    client.delegation.fresh.effective = list({ '1': 'wsman/adfs1.company.pri' }, { allow: 0 });
    expect(buildPlan({ ...base, snapshot: snap(client) }).changes[0]!.change.kind).toBe('add-delegation');
  });
});
