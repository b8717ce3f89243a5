// TrustedHosts as pure decisions: what the plan adds for a jump server by address, what restore puts
// back (exactly, or only CredHop's own entry when someone else edited the list meanwhile).
import { describe, expect, it } from 'vitest';
import { buildPlan, buildTrustPlan } from '../../src/main/hop/plan';
import { clientRestoreOps, diffStates, trustedHostsRestoreOp } from '../../src/main/hop/restore';
import { trustedHostsAllows, withTrustedHost, withoutTrustedHosts } from '../../src/main/hop/trusted-hosts';
import type { Change } from '../../src/shared/domain/hop';
import { host, server, snap } from '../support/states';

const ADDRESS = '192.168.10.11';
const base = { jumpServer: ADDRESS, target: 'mem2.company.pri', account: 'COMPANY\\Administrator' };
const trusted = (value: string | null, policyOwned = false) => host({ trustedHosts: { value, policyOwned }, winrmService: { status: 'Stopped', startType: 'Manual' } });
const mine: Change[] = [{ kind: 'trusted-hosts', host: 'client', entry: ADDRESS }];

describe('the TrustedHosts string', () => {
  it('adds one entry at the end, keeps the rest exactly, and matches WinRM\'s wildcards', () => {
    expect(withTrustedHost('', ADDRESS)).toBe(ADDRESS);
    expect(withTrustedHost('srv9, 10.1.1.1', ADDRESS)).toBe(`srv9, 10.1.1.1,${ADDRESS}`);
    expect(withTrustedHost(`srv9,${ADDRESS}`, ADDRESS)).toBe(`srv9,${ADDRESS}`);
    expect(withoutTrustedHosts(`srv9, 10.1.1.1,${ADDRESS}`, [ADDRESS])).toBe('srv9, 10.1.1.1');
    expect(trustedHostsAllows('*.company.pri', 'adfs1.company.pri')).toBe(true);
    expect(trustedHostsAllows('192.168.10.*', ADDRESS)).toBe(true);
    expect(trustedHostsAllows('192.168.1.*', ADDRESS)).toBe(false);
    expect(trustedHostsAllows('*', ADDRESS)).toBe(true);
  });
});

describe('planning a jump server by address', () => {
  it('needs the NTLM-only entry and TrustedHosts under one separate confirmation', () => {
    const unconfirmed = buildPlan({ ...base, snapshot: snap(trusted(''), server(), ADDRESS) });
    expect(unconfirmed.blockers.map((b) => b.code)).toEqual(['ntlm-only-unconfirmed']);
    expect(unconfirmed.blockers[0]!.message).toMatch(/NTLM-only.*TrustedHosts/);
    const plan = buildPlan({ ...base, snapshot: snap(trusted(''), server(), ADDRESS), ntlmOnlyConfirmed: true });
    expect(plan.blockers).toEqual([]);
    expect(plan.changes.map((c) => c.change)).toEqual([
      { kind: 'add-delegation', host: 'client', list: 'freshNtlm', spn: `wsman/${ADDRESS}` },
      { kind: 'winrm-service', host: 'client', running: true },
      { kind: 'trusted-hosts', host: 'client', entry: ADDRESS },
      { kind: 'client-credssp', host: 'client', enabled: true },
      { kind: 'server-credssp', host: 'server', enabled: true },
    ]);
    expect(plan.changes.find((c) => c.change.kind === 'trusted-hosts')!.powershell).not.toMatch(/'\*'/);
  });

  it('adds nothing to a list that already trusts it, and blocks when a Group Policy owns the list', () => {
    const listed = buildPlan({ ...base, snapshot: snap(trusted(`srv9,${ADDRESS}`), server(), ADDRESS), ntlmOnlyConfirmed: true });
    expect(listed.changes.map((c) => c.change.kind)).not.toContain('trusted-hosts');
    const gpo = buildPlan({ ...base, snapshot: snap(trusted('srv9', true), server(), ADDRESS), ntlmOnlyConfirmed: true });
    expect(gpo.blockers.find((b) => b.code === 'trusted-hosts-policy')?.resolution).toMatch(/192\.168\.10\.11.*Trusted Hosts/);
    expect(buildTrustPlan(snap(trusted('srv9', true), server(), ADDRESS), ADDRESS, 'mem2').blockers.map((b) => b.code)).toEqual(['trusted-hosts-policy']);
  });

  it('a jump server by name uses neither, unless the NTLM-only list was confirmed', () => {
    const plan = buildPlan({ ...base, jumpServer: 'adfs1.company.pri', snapshot: snap(trusted('')) });
    expect(plan.changes.map((c) => c.change.kind)).not.toContain('trusted-hosts');
    const ntlm = buildPlan({ ...base, jumpServer: 'adfs1.company.pri', snapshot: snap(trusted('')), ntlmOnlyConfirmed: true });
    expect(ntlm.changes.map((c) => c.change)).toContainEqual({ kind: 'trusted-hosts', host: 'client', entry: 'adfs1.company.pri' });
  });
});

describe('restoring TrustedHosts', () => {
  const s = (value: string) => snap(trusted(value), server(), ADDRESS);
  const now = (value: string) => host({ trustedHosts: { value, policyOwned: false }, winrmService: { status: 'Running', startType: 'Manual' } });

  it('puts the exact string back when the list is what CredHop left, an empty one included', () => {
    expect(trustedHostsRestoreOp(s(''), mine, now(ADDRESS))).toEqual({ kind: 'trusted-hosts', value: '', expect: ADDRESS });
    expect(trustedHostsRestoreOp(s('srv9, 10.1.1.1'), mine, now(`srv9, 10.1.1.1,${ADDRESS}`))).toEqual({ kind: 'trusted-hosts', value: 'srv9, 10.1.1.1', expect: `srv9, 10.1.1.1,${ADDRESS}` });
    expect(trustedHostsRestoreOp(s(''), mine, now(''))).toBeNull();
    expect(trustedHostsRestoreOp(s(''), [], now(ADDRESS))).toBeNull(); // not CredHop's change
  });

  it('keeps someone else\'s edit: only CredHop\'s entry is taken out, and that is no difference', () => {
    const op = trustedHostsRestoreOp(s('srv9'), mine, now(`srv9,${ADDRESS},backup01`));
    expect(op).toMatchObject({ value: 'srv9,backup01', expect: `srv9,${ADDRESS},backup01` });
    expect(op!.note).toMatch(/someone else/);
    const th = (d: string[]) => d.filter((x) => x.startsWith('TrustedHosts'));
    expect(th(diffStates(s('srv9'), now('srv9,backup01'), server(), mine))).toEqual([]);
    expect(th(diffStates(s('srv9'), now(`srv9,${ADDRESS}`), server(), mine))).toEqual([`TrustedHosts on this computer is "srv9,${ADDRESS}" (was "srv9").`]);
  });

  it('starts WinRM first when it is stopped, and puts the service back last', () => {
    const stopped = host({ trustedHosts: { value: ADDRESS, policyOwned: false }, winrmService: { status: 'Stopped', startType: 'Manual' } });
    const ops = clientRestoreOps(s(''), [{ kind: 'winrm-service', host: 'client', running: true }, ...mine], stopped);
    expect(ops.map((o) => o.kind)).toEqual(['winrm-service', 'trusted-hosts', 'winrm-service']);
    expect(ops[2]).toEqual({ kind: 'winrm-service', running: false, startType: 'Manual' });
  });
});
