// Each profile's state in words, as the home screen shows it: from the journal's open sessions (as main
// reports them) and the hops verified since CredHop started. Pure, so the words are tested without a page.
import type { HopProfile } from './profile';

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

/**
 * The state of one profile. `verifiedAt` is the time of the last hop verified for it in this run of
 * CredHop (the journal forgets closed sessions, so nothing older is known here); `clock` formats a time.
 */
export function profileState(profile: HopProfile, open: readonly OpenSession[], verifiedAt: string | undefined, clock: (iso: string) => string): ProfileState {
  const mine = open.filter((s) => s.profileId === profile.id).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  const verified = verifiedAt ? `last verified hop at ${clock(verifiedAt)}` : null;
  if (mine.length > 0) {
    const first = mine[0]!;
    const where = mine.length === 1 ? machinesOf(first) : 'its machines';
    const words = `CredSSP on, restores at ${clock(first.expiresAt)} on ${where}`;
    return { words: verified ? `${words}; ${verified}` : words, on: true };
  }
  if (verified) return { words: `CredSSP off; ${verified}`, on: false };
  return { words: 'CredSSP off; no hop verified since CredHop started', on: false };
}
