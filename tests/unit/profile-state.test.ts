// The home screen's words for each profile's state, from the journal's open sessions and the hops
// verified in this run: what the operator reads before choosing a profile.
import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../src/shared/contract/hop';
import type { HopProfile } from '../../src/shared/domain/profile';
import { machinesOf, profileState } from '../../src/shared/domain/profile-state';

const at = '2026-12-07T08:00:00.000Z';
const profile = (id: string): HopProfile => ({ id, name: id, jumpServer: 'adfs1.company.pri', jumpServerConnectAs: 'adfs1.company.pri', target: 'mem2.company.pri', jumpAccount: 'COMPANY\\Administrator', targetAccount: null, probeCommand: 'hostname', timeBoxMinutes: 60, notes: '', createdAt: at, updatedAt: at });
const clock = (iso: string) => iso.slice(11, 16);

function session(profileId: string, expiresAt: string, hosts: ('client' | 'server')[]): SessionSummary {
  return {
    session: `s-${profileId}-${expiresAt}`, profileId, profileName: profileId, jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', startedAt: at, expiresAt, practice: true,
    changes: hosts.map((h) => (h === 'client' ? { kind: 'client-credssp', host: 'client', enabled: true } : { kind: 'server-credssp', host: 'server', enabled: true })),
  };
}

describe('profileState', () => {
  it('says CredSSP is off and that no hop was verified yet when nothing is known', () => {
    expect(profileState(profile('a'), [], undefined, clock)).toEqual({ words: 'CredSSP off; no hop verified since CredHop started', on: false });
  });

  it('names when an open session restores and on which machines, only for its own profile', () => {
    const open = [session('b', '2026-12-07T09:30:00.000Z', ['client']), session('a', '2026-12-07T14:05:00.000Z', ['client', 'server'])];
    expect(profileState(profile('a'), open, undefined, clock)).toEqual({ words: 'CredSSP on, restores at 14:05 on both machines', on: true });
    expect(profileState(profile('b'), open, undefined, clock).words).toBe('CredSSP on, restores at 09:30 on this computer');
    expect(profileState(profile('c'), open, undefined, clock).on).toBe(false);
  });

  it('adds the last verified hop, and with two open sessions names the earliest restore', () => {
    const open = [session('a', '2026-12-07T15:00:00.000Z', ['server']), session('a', '2026-12-07T14:05:00.000Z', ['client'])];
    expect(profileState(profile('a'), open, '2026-12-07T09:12:00.000Z', clock).words).toBe('CredSSP on, restores at 14:05 on its machines; last verified hop at 09:12');
    expect(profileState(profile('a'), [], '2026-12-07T09:12:00.000Z', clock)).toEqual({ words: 'CredSSP off; last verified hop at 09:12', on: false });
  });

  it('machinesOf: the jump server alone is named', () => {
    expect(machinesOf(session('a', at, ['server']))).toBe('adfs1.company.pri');
  });
});
