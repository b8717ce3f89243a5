// Each profile's state in words, as the home screen shows it: from the journal's open sessions (as main
// reports them) and each profile's usage record (main keeps it across runs, see main/profiles/usage.ts).
// Pure, so the words are tested without a page.
import { z } from 'zod';
import { profileIdSchema, type HopProfile } from './profile';

/** When a profile was last used (a check or a test) and a hop last verified with it; main's usage file. */
export const profileUsageSchema = z.object({ lastUsedAt: z.iso.datetime().optional(), lastVerifiedAt: z.iso.datetime().optional() });
export type ProfileUsage = z.output<typeof profileUsageSchema>;
/** The usage of each saved profile, by profile id (a profile never used has no entry). */
export const usageByProfileSchema = z.record(profileIdSchema, profileUsageSchema);
export type UsageByProfile = z.output<typeof usageByProfileSchema>;

/** What the words need of an open session (the status contract's session summary has these fields). */
export interface OpenSession {
  profileId: string;
  jumpServer: string;
  expiresAt: string;
  changes: readonly { host: 'client' | 'server' }[];
}

export interface ProfileState {
  /** One line for the operator, e.g. "CredSSP on, restores at 14:05 on both machines". */
  words: string;
  /** CredSSP (or another change of CredHop's) is on for this profile now: Restore is offered. */
  on: boolean;
}

/** Which machines a session changed, in words: "this computer", the jump server, or both. */
export function machinesOf(session: OpenSession): string {
  const client = session.changes.some((c) => c.host === 'client');
  const server = session.changes.some((c) => c.host === 'server');
  if (client && server) return 'both machines';
  if (server) return session.jumpServer;
  return 'this computer';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "at 09:12" today, "on 3 Dec at 09:12" another day (local time, as `clock` formats it). */
export function whenWords(iso: string, now: Date, clock: (iso: string) => string): string {
  const d = new Date(iso);
  const today = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return today ? `at ${clock(iso)}` : `on ${d.getDate()} ${MONTHS[d.getMonth()]} at ${clock(iso)}`;
}

/**
 * The state of one profile from the open sessions and its usage record (undefined: never used); `clock`
 * formats a time of day, `now` tells today from another day.
 */
export function profileState(profile: HopProfile, open: readonly OpenSession[], usage: ProfileUsage | undefined, clock: (iso: string) => string, now: Date): ProfileState {
  const mine = open.filter((s) => s.profileId === profile.id).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  const verified = usage?.lastVerifiedAt ? `last verified hop ${whenWords(usage.lastVerifiedAt, now, clock)}` : null;
  if (mine.length > 0) {
    const first = mine[0]!;
    const where = mine.length === 1 ? machinesOf(first) : 'its machines';
    // (a time box runs up to 8 hours: past midnight the restore names its day)
    const words = `CredSSP on, restores ${whenWords(first.expiresAt, now, clock)} on ${where}`;
    return { words: verified ? `${words}; ${verified}` : words, on: true };
  }
  if (verified) return { words: `CredSSP off; ${verified}`, on: false };
  if (usage?.lastUsedAt) return { words: `CredSSP off; used ${whenWords(usage.lastUsedAt, now, clock)}, no hop verified yet`, on: false };
  return { words: 'Not used yet', on: false };
}
