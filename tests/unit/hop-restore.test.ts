import { describe, expect, it } from 'vitest';
import { clientRestoreOps, diffStates, otherLabDifference, otherPracticeLab, serverRestoreOp } from '../../src/main/hop/restore';
import type { Change } from '../../src/shared/domain/hop';
import { host, list, server, snap } from '../support/states';

const add: Change = { kind: 'add-delegation', host: 'client', list: 'fresh', spn: 'wsman/adfs1.company.pri' };
const clientOn: Change = { kind: 'client-credssp', host: 'client', enabled: true };
const serverOn: Change = { kind: 'server-credssp', host: 'server', enabled: true };

describe('restore decisions', () => {
  it('removes exactly the entry CredHop added, keeping gaps, duplicates and other entries with their names', () => {
    const before = host({ fresh: { '1': 'TERMSRV/*', '3': 'wsman/old.company.pri', '4': 'wsman/old.company.pri' } });
    const now = host({ fresh: { '1': 'TERMSRV/*', '2': 'wsman/adfs1.company.pri', '3': 'wsman/old.company.pri', '4': 'wsman/old.company.pri' } });
    const ops = clientRestoreOps(snap(before), [add], now);
    expect(ops).toEqual([{ kind: 'remove-delegation', list: 'fresh', entries: [{ name: '2', value: 'wsman/adfs1.company.pri' }] }]);
  });

  it('keeps an entry for the same server that was there before', () => {
    const before = host({ fresh: { '1': 'wsman/adfs1.company.pri' } });
    const now = host({ fresh: { '1': 'wsman/adfs1.company.pri', '2': 'wsman/adfs1.company.pri' } });
    expect(clientRestoreOps(snap(before), [add], now)).toEqual([{ kind: 'remove-delegation', list: 'fresh', entries: [{ name: '2', value: 'wsman/adfs1.company.pri' }] }]);
  });

  it('puts the DWORDs and keys back to absent when they did not exist', () => {
    const now = host({ fresh: { '1': 'wsman/adfs1.company.pri' } });
    const ops = clientRestoreOps(snap(host()), [add], now);
    expect(ops).toContainEqual({ kind: 'set-delegation-flags', list: 'fresh', allow: null, concatenate: null, removeEmptyListKey: true, removeEmptyKey: true, store: 'both' });
  });

  it('puts each store back to its own values when they differed (a script wrote the registry)', () => {
    const before = host({ fresh: {}, freshEffective: { '1': 'wsman/legacy.company.pri' } });
    const now = host({ fresh: { '2': 'wsman/adfs1.company.pri' }, freshEffective: { '1': 'wsman/legacy.company.pri', '2': 'wsman/adfs1.company.pri' } });
    const ops = clientRestoreOps(snap(before), [add], now);
    expect(ops.filter((o) => o.kind === 'set-delegation-flags')).toEqual([{ kind: 'set-delegation-flags', list: 'fresh', allow: null, concatenate: null, removeEmptyListKey: true, removeEmptyKey: true, store: 'local' }]);
  });

  it('starts WinRM to restore the client flag if it is stopped, and puts status and start type back last', () => {
    const stopped = { status: 'Stopped', startType: 'Manual' };
    const before = { ...host(), winrmService: stopped };
    const flagOn = { ...host({ winrm: { clientCredSSP: true, serviceCredSSP: false, clientPolicyAllowCredSSP: null, servicePolicyAllowCredSSP: null } }) };
    const start: Change = { kind: 'winrm-service', host: 'client', running: true };
    expect(clientRestoreOps(snap(before), [start, clientOn], { ...flagOn, winrmService: { status: 'Running', startType: 'Manual' } })).toEqual([
      { kind: 'client-credssp', enabled: false },
      { kind: 'winrm-service', running: false, startType: 'Manual' },
    ]);
    // After a crash that left WinRM stopped with the flag on: start it, set the flag back, stop it again.
    expect(clientRestoreOps(snap(before), [start, clientOn], { ...flagOn, winrmService: stopped })).toEqual([
      { kind: 'winrm-service', running: true, startType: null },
      { kind: 'client-credssp', enabled: false },
      { kind: 'winrm-service', running: false, startType: 'Manual' },
    ]);
    expect(clientRestoreOps(snap(before), [start, clientOn], before)).toEqual([]);
  });

  it('restores the client flag only if CredHop touched it, to its old value', () => {
    const now = host({ winrm: { clientCredSSP: true, serviceCredSSP: false, clientPolicyAllowCredSSP: null, servicePolicyAllowCredSSP: null } });
    expect(clientRestoreOps(snap(host()), [clientOn], now)).toEqual([{ kind: 'client-credssp', enabled: false }]);
    expect(clientRestoreOps(snap(host()), [add], now)).toEqual([]);
  });

  it('is idempotent: nothing to do once the state equals the snapshot (so a crash mid-restore is safe)', () => {
    expect(clientRestoreOps(snap(host()), [add, clientOn], host())).toEqual([]);
    expect(serverRestoreOp(snap(), [serverOn], server())).toBeNull();
  });

  it('restores the server flag to its snapshot value', () => {
    expect(serverRestoreOp(snap(), [serverOn], server({ serviceCredSSP: true }))).toEqual({ kind: 'server-credssp', enabled: false });
    expect(serverRestoreOp(snap(host(), server({ serviceCredSSP: true })), [serverOn], server({ serviceCredSSP: true }))).toBeNull();
  });

  it('reports every difference between snapshot and state in plain words', () => {
    const after = host({ fresh: { '1': 'wsman/adfs1.company.pri' } });
    const diffs = diffStates(snap(), after, server({ serviceCredSSP: true }));
    expect(diffs.join('\n')).toMatch(/AllowFreshCredentials \(local policy\)/);
    expect(diffs.join('\n')).toMatch(/WinRM service CredSSP on adfs1.company.pri is true \(was false\)/);
    expect(diffStates(snap(), host(), server())).toEqual([]);
  });

  it('treats value names as part of the state', () => {
    const before = host({ fresh: { '1': 'TERMSRV/*' } });
    const renumbered = host({ fresh: { '2': 'TERMSRV/*' } });
    expect(diffStates(snap(before), renumbered, server())).not.toEqual([]);
    const flags = host({ fresh: { '1': 'TERMSRV/*' } });
    flags.delegation.fresh.local = list({ '1': 'TERMSRV/*' }, { concatenate: 0 });
    expect(diffStates(snap(before), flags, server())).not.toEqual([]);
  });
});

describe('a practice session belongs to the lab it was made in', () => {
  it('is restored only over that lab; real-mode sessions and sessions without a recorded lab everywhere', () => {
    expect(otherPracticeLab({ practice: true, lab: '/labs/a.json' }, '/labs/a.json')).toBeNull();
    expect(otherPracticeLab({ practice: true, lab: '/labs/a.json' }, '/labs/../labs/a.json')).toBeNull();
    expect(otherPracticeLab({ practice: true, lab: '/labs/a.json' }, '/labs/b.json')).toBe('/labs/a.json');
    expect(otherPracticeLab({ practice: true }, '/labs/b.json')).toBeNull();
    expect(otherPracticeLab({ practice: false }, undefined)).toBeNull();
    expect(otherPracticeLab({ practice: true, lab: '/labs/a.json' }, undefined)).toBeNull();
  });

  it('says where the session was made, that nothing changed, and the command that restores it', () => {
    const text = otherLabDifference('/home/o\'brien/my lab.json');
    expect(text).toContain('nothing was changed');
    expect(text).toContain('credhop restore --lab "/home/o\'brien/my lab.json"');
  });
});
