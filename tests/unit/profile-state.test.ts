// The home screen's words for each profile's state, from the journal's open sessions and each profile's
// usage as main keeps it across runs: what the operator reads before choosing a profile.
import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../src/shared/contract/hop';
import type { HopProfile } from '../../src/shared/domain/profile';
import { machinesOf, profileState, whenWords } from '../../src/shared/domain/profile-state';

const at = '2026-12-07T08:00:00.000Z';
const profile = (id: string): HopProfile => ({ id, name: id, jumpServer: 'adfs1.company.pri', jumpServerConnectAs: 'adfs1.company.pri', target: 'mem2.company.pri', jumpAccount: 'COMPANY\\Administrator', targetAccount: null, probeCommand: 'hostname', timeBoxMinutes: 60, notes: '', createdAt: at, updatedAt: at });
/** Local time, as the renderer's clock shows it (the tests build their times in local time too). */
const clock = (iso: string) => { const d = new Date(iso); return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`; };
const local = (day: number, hour: number, minute: number) => new Date(2026, 11, day, hour, minute).toISOString();
const now = new Date(local(7, 10, 0));

function session(profileId: string, expiresAt: string, hosts: ('client' | 'server')[]): SessionSummary {
  return {
    session: `s-${profileId}-${expiresAt}`, profileId, profileName: profileId, jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', startedAt: at, expiresAt, practice: true,
    changes: hosts.map((h) => (h === 'client' ? { kind: 'client-credssp', host: 'client', enabled: true } : { kind: 'server-credssp', host: 'server', enabled: true })),
  };
}

describe('profileState', () => {
  it('says a profile never used is not used yet', () => {
    expect(profileState(profile('a'), [], undefined, clock, now)).toEqual({ words: 'Not used yet', on: false });
    expect(profileState(profile('a'), [], {}, clock, now)).toEqual({ words: 'Not used yet', on: false });
  });

  it('says when a profile was used without a verified hop, and the date when it was not today', () => {
    expect(profileState(profile('a'), [], { lastUsedAt: local(7, 8, 30) }, clock, now).words).toBe('CredSSP off; used at 08:30, no hop verified yet');
    expect(profileState(profile('a'), [], { lastUsedAt: local(3, 8, 30) }, clock, now).words).toBe('CredSSP off; used on 3 Dec at 08:30, no hop verified yet');
  });

  it('the last verified hop: the time today, the date and time another day (also across a year)', () => {
    expect(profileState(profile('a'), [], { lastUsedAt: local(7, 9, 40), lastVerifiedAt: local(7, 9, 12) }, clock, now).words).toBe('CredSSP off; last verified hop at 09:12');
    expect(profileState(profile('a'), [], { lastUsedAt: local(7, 9, 40), lastVerifiedAt: local(3, 9, 12) }, clock, now).words).toBe('CredSSP off; last verified hop on 3 Dec at 09:12');
    const lastYear = new Date(2025, 11, 7, 9, 12).toISOString();
    expect(whenWords(lastYear, now, clock)).toBe('on 7 Dec at 09:12');
  });

  it('names when an open session restores and on which machines, only for its own profile', () => {
    const open = [session('b', local(7, 9, 30), ['client']), session('a', local(7, 14, 5), ['client', 'server'])];
    expect(profileState(profile('a'), open, undefined, clock, now)).toEqual({ words: 'CredSSP on, restores at 14:05 on both machines', on: true });
    expect(profileState(profile('b'), open, undefined, clock, now).words).toBe('CredSSP on, restores at 09:30 on this computer');
    expect(profileState(profile('c'), open, undefined, clock, now).on).toBe(false);
    // A time box runs up to 8 hours: a restore after midnight names its day.
    expect(profileState(profile('a'), [session('a', local(8, 1, 5), ['client'])], undefined, clock, now).words).toBe('CredSSP on, restores on 8 Dec at 01:05 on this computer');
  });

  it('adds the last verified hop, and with two open sessions names the earliest restore', () => {
    const open = [session('a', local(7, 15, 0), ['server']), session('a', local(7, 14, 5), ['client'])];
    const usage = { lastUsedAt: local(7, 9, 12), lastVerifiedAt: local(7, 9, 12) };
    expect(profileState(profile('a'), open, usage, clock, now).words).toBe('CredSSP on, restores at 14:05 on its machines; last verified hop at 09:12');
    expect(profileState(profile('a'), [], usage, clock, now)).toEqual({ words: 'CredSSP off; last verified hop at 09:12', on: false });
  });

  it('machinesOf: the jump server alone is named', () => {
    expect(machinesOf(session('a', at, ['server']))).toBe('adfs1.company.pri');
  });
});
