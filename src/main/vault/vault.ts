// Per-profile, per-account secrets. One keychain entry per (profile id, role) under the app's own
// service name; the entry name is derived from the stable profile id, never from the display name,
// so renaming a profile leaves its secret where it is. Secrets the user does not want remembered
// live only in this process's memory for this run. Nothing here ever returns a secret except
// getSecret, which is for main only (the hop engine hands it to PowerShell's stdin).
import { AppError } from '../errors';
import type { KeychainProblem } from '../../shared/contract/profiles';
import type { SecretRole } from '../../shared/domain/profile';
import { isKeychainError, type Keychain, type KeychainError } from './keychain';

export interface SecretRef {
  profileId: string;
  role: SecretRole;
}

export type SecretLocation = 'keychain' | 'session' | 'none';

export interface VaultLogEntry {
  event: 'status' | 'set' | 'delete' | 'read' | 'move' | 'copy' | 'prune';
  profileId?: string;
  role?: SecretRole;
  outcome: 'ok' | 'keychain-failed';
  /** The failure kind, never keytar's raw text with anything user-provided in it. */
  kind?: string;
  location?: SecretLocation;
}

export interface VaultOptions {
  keychain: Keychain;
  /**
   * After the keychain answers "no entry", prove that it is writable, because libsecret answers
   * "no entry" for a locked keyring too. Defaults to true on Linux, where that happens.
   */
  verifyMisses?: boolean;
  log?: (entry: VaultLogEntry) => void;
}

const ROLES: readonly SecretRole[] = ['jump', 'target'];
const ENTRY = /^profile:([0-9a-f-]{36}):(jump|target)$/i;

/** The keychain entry name ("account" in keytar's words) for one profile account. */
export function keychainEntryName(ref: SecretRef): string {
  return `profile:${ref.profileId}:${ref.role}`;
}

export function keychainProblemOf(error: KeychainError): KeychainProblem {
  return { code: error.kind === 'timeout' ? 'timeout' : 'keychain-unavailable', message: error.userMessage, hint: error.hint };
}

export function appErrorOf(error: KeychainError): AppError {
  return new AppError(error.kind === 'timeout' ? 'timeout' : 'keychain-unavailable', error.userMessage, error.hint);
}

export interface Vault {
  /** Where the secret for this profile account is; a keychain failure is reported, not thrown. */
  status(ref: SecretRef): Promise<{ stored: SecretLocation; keychainProblem?: KeychainProblem }>;
  /**
   * Stores a secret. remember: in the keychain (falling back to this run's memory, with the problem
   * reported, when the keychain fails — never to a file). Not remember: this run's memory only, and
   * any remembered copy is removed from the keychain.
   */
  set(ref: SecretRef, password: string, remember: boolean): Promise<{ stored: 'keychain' | 'session'; keychainProblem?: KeychainProblem }>;
  /**
   * Forgets the secret everywhere it can: this run's copy always, the keychain's when it answers. A
   * keychain failure is reported (like set), not thrown: the run's copy is gone either way.
   */
  delete(ref: SecretRef): Promise<{ removed: boolean; keychainProblem?: KeychainProblem }>;
  /** Forgets both accounts of a profile; a keychain failure is reported, not thrown. */
  deleteProfile(profileId: string): Promise<{ removed: boolean; keychainProblem?: KeychainProblem }>;
  /** Moves a secret to another entry (keychain and memory). The source is deleted only after the copy is stored. */
  move(from: SecretRef, to: SecretRef): Promise<{ moved: boolean }>;
  /** Copies a secret to another entry, keeping where it lives (keychain stays keychain, memory stays memory). */
  copy(from: SecretRef, to: SecretRef): Promise<{ copied: boolean }>;
  /** FOR MAIN ONLY: the secret, or null when none is stored (ask the user for this run). Throws AppError on keychain failure. */
  getSecret(profileId: string, role: SecretRole): Promise<string | null>;
  /** Keeps a password typed for this run in memory (same as set with remember false, without touching the keychain). */
  rememberForRun(ref: SecretRef, password: string): void;
  /** Removes keychain entries of this app whose profile no longer exists; returns the entry names removed. */
  pruneOrphans(knownProfileIds: ReadonlySet<string>): Promise<string[]>;
  /** Drops every secret held in memory (call on quit). */
  clearSession(): void;
}

export function createVault(options: VaultOptions): Vault {
  const { keychain } = options;
  const verifyMisses = options.verifyMisses ?? process.platform === 'linux';
  const log = options.log ?? (() => undefined);
  const session = new Map<string, string>();

  /** Keychain read that tells "no entry" from "locked keyring that pretends to be empty". */
  async function readKeychain(name: string): Promise<string | null> {
    const value = await keychain.get(name);
    if (value === null && verifyMisses) await keychain.probeWritable();
    return value;
  }

  function failed(event: VaultLogEntry['event'], ref: Partial<SecretRef>, error: KeychainError): void {
    log({ event, ...ref, outcome: 'keychain-failed', kind: error.kind });
  }

  const vault: Vault = {
    async status(ref) {
      const name = keychainEntryName(ref);
      if (session.has(name)) {
        log({ event: 'status', ...ref, outcome: 'ok', location: 'session' });
        return { stored: 'session' };
      }
      try {
        const value = await readKeychain(name);
        const stored: SecretLocation = value === null ? 'none' : 'keychain';
        log({ event: 'status', ...ref, outcome: 'ok', location: stored });
        return { stored };
      } catch (error) {
        if (!isKeychainError(error)) throw error;
        failed('status', ref, error);
        return { stored: 'none', keychainProblem: keychainProblemOf(error) };
      }
    },

    async set(ref, password, remember) {
      const name = keychainEntryName(ref);
      if (remember) {
        try {
          await keychain.set(name, password);
          session.delete(name);
          log({ event: 'set', ...ref, outcome: 'ok', location: 'keychain' });
          return { stored: 'keychain' };
        } catch (error) {
          if (!isKeychainError(error)) throw error;
          failed('set', ref, error);
          session.set(name, password);
          return { stored: 'session', keychainProblem: keychainProblemOf(error) };
        }
      }
      session.set(name, password);
      try {
        await keychain.delete(name);
        log({ event: 'set', ...ref, outcome: 'ok', location: 'session' });
        return { stored: 'session' };
      } catch (error) {
        if (!isKeychainError(error)) throw error;
        failed('set', ref, error);
        return { stored: 'session', keychainProblem: keychainProblemOf(error) };
      }
    },

    async delete(ref) {
      const name = keychainEntryName(ref);
      const inSession = session.delete(name);
      try {
        const inKeychain = await keychain.delete(name);
        log({ event: 'delete', ...ref, outcome: 'ok' });
        return { removed: inSession || inKeychain };
      } catch (error) {
        if (!isKeychainError(error)) throw error;
        failed('delete', ref, error);
        return { removed: inSession, keychainProblem: keychainProblemOf(error) };
      }
    },

    async deleteProfile(profileId) {
      let removed = false;
      let problem: KeychainProblem | undefined;
      for (const role of ROLES) {
        const result = await vault.delete({ profileId, role });
        removed = result.removed || removed;
        problem ??= result.keychainProblem;
      }
      return problem === undefined ? { removed } : { removed, keychainProblem: problem };
    },

    async move(from, to) {
      const result = await transfer(from, to, 'move');
      return { moved: result };
    },

    async copy(from, to) {
      const result = await transfer(from, to, 'copy');
      return { copied: result };
    },

    async getSecret(profileId, role) {
      const ref = { profileId, role };
      const name = keychainEntryName(ref);
      const inSession = session.get(name);
      if (inSession !== undefined) {
        log({ event: 'read', ...ref, outcome: 'ok', location: 'session' });
        return inSession;
      }
      try {
        const value = await readKeychain(name);
        log({ event: 'read', ...ref, outcome: 'ok', location: value === null ? 'none' : 'keychain' });
        return value;
      } catch (error) {
        if (!isKeychainError(error)) throw error;
        failed('read', ref, error);
        throw appErrorOf(error);
      }
    },

    rememberForRun(ref, password) {
      session.set(keychainEntryName(ref), password);
    },

    async pruneOrphans(knownProfileIds) {
      const removed: string[] = [];
      try {
        for (const name of await keychain.accounts()) {
          const match = ENTRY.exec(name);
          if (match === null) continue; // not ours to judge (e.g. a probe entry left by a crash is harmless)
          const id = (match[1] ?? '').toLowerCase();
          if (knownProfileIds.has(id)) continue;
          if (await keychain.delete(name)) removed.push(name);
        }
        log({ event: 'prune', outcome: 'ok' });
      } catch (error) {
        if (!isKeychainError(error)) throw error;
        failed('prune', {}, error);
        throw appErrorOf(error);
      }
      return removed;
    },

    clearSession() {
      session.clear();
    },
  };

  async function transfer(from: SecretRef, to: SecretRef, mode: 'move' | 'copy'): Promise<boolean> {
    const fromName = keychainEntryName(from);
    const toName = keychainEntryName(to);
    if (fromName === toName) return false;
    const inSession = session.get(fromName);
    if (inSession !== undefined) {
      session.set(toName, inSession);
      if (mode === 'move') session.delete(fromName);
    }
    try {
      const value = await keychain.get(fromName);
      if (value !== null) {
        await keychain.set(toName, value);
        if (mode === 'move') await keychain.delete(fromName);
      }
      log({ event: mode, profileId: to.profileId, role: to.role, outcome: 'ok' });
      return value !== null || inSession !== undefined;
    } catch (error) {
      if (!isKeychainError(error)) throw error;
      failed(mode, to, error);
      throw appErrorOf(error);
    }
  }

  return vault;
}
