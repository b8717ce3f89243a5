// The vault's logic against an in-memory stand-in for keytar. The real keychain (gnome-keyring on
// D-Bus) is exercised in tests/integration/keychain.test.ts.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/main/errors';
import {
  classifyKeytarError,
  createKeychain,
  KeychainError,
  type KeytarLike,
} from '../../src/main/vault/keychain';
import { createVault, keychainEntryName, type VaultLogEntry } from '../../src/main/vault/vault';

/** Behaves like keytar on libsecret: a locked keyring reads as empty and refuses writes. */
class MemoryKeytar implements KeytarLike {
  readonly entries = new Map<string, string>();
  mode: 'ok' | 'locked' | 'no-service' | 'stalled' = 'ok';
  calls = 0;

  private gate(): Promise<void> {
    this.calls++;
    if (this.mode === 'no-service') return Promise.reject(new Error('The name org.freedesktop.secrets was not provided by any .service files'));
    if (this.mode === 'stalled') return new Promise<void>(() => undefined);
    return Promise.resolve();
  }

  async getPassword(service: string, account: string) {
    await this.gate();
    if (this.mode === 'locked') return null;
    return this.entries.get(`${service}|${account}`) ?? null;
  }
  async setPassword(service: string, account: string, password: string) {
    await this.gate();
    if (this.mode === 'locked') throw new Error('Cannot create an item in a locked collection');
    this.entries.set(`${service}|${account}`, password);
  }
  async deletePassword(service: string, account: string) {
    await this.gate();
    if (this.mode === 'locked') return false;
    return this.entries.delete(`${service}|${account}`);
  }
  async findCredentials(service: string) {
    await this.gate();
    if (this.mode === 'locked') return [];
    return [...this.entries]
      .filter(([k]) => k.startsWith(`${service}|`))
      .map(([k, password]) => ({ account: k.slice(service.length + 1), password }));
  }
}

const P1 = '6f1c1b1e-2a5b-4c1d-9e2f-0123456789ab';
const P2 = '7f1c1b1e-2a5b-4c1d-9e2f-0123456789ab';

function setup(options: { timeoutMs?: number; verifyMisses?: boolean } = {}) {
  const backend = new MemoryKeytar();
  const log: VaultLogEntry[] = [];
  const keychain = createKeychain({ backend, service: 'CredHop-test', timeoutMs: options.timeoutMs ?? 200 });
  const vault = createVault({ keychain, verifyMisses: options.verifyMisses ?? true, log: (e) => log.push(e) });
  return { backend, keychain, vault, log };
}

describe('keychain wrapper', () => {
  it('times out a call that never answers, with words for the operator', async () => {
    const backend: KeytarLike = {
      getPassword: () => new Promise(() => undefined), // a stalled D-Bus call, as under an invisible unlock prompt
      setPassword: async () => undefined,
      deletePassword: async () => true,
      findCredentials: async () => [],
    };
    const keychain = createKeychain({ backend, timeoutMs: 150 });
    const started = Date.now();
    const error = await keychain.get('x').then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(KeychainError);
    expect((error as KeychainError).kind).toBe('timeout');
    expect((error as KeychainError).userMessage).toMatch(/did not answer/);
    expect((error as KeychainError).hint).toMatch(/type the password for this run/);
  });

  it('after a timeout, fails at once until the hung call comes back, then works again', async () => {
    let release: (value: string | null) => void = () => undefined;
    let calls = 0;
    const backend: KeytarLike = {
      getPassword: () => {
        calls++;
        return calls === 1 ? new Promise<string | null>((r) => (release = r)) : Promise.resolve('ok');
      },
      setPassword: async () => undefined,
      deletePassword: async () => true,
      findCredentials: async () => [],
    };
    const keychain = createKeychain({ backend, timeoutMs: 100 });
    await expect(keychain.get('a')).rejects.toMatchObject({ kind: 'timeout' });
    const started = Date.now();
    await expect(keychain.get('a')).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(50); // no second thread tied up, no second wait
    expect(calls).toBe(1);
    release(null);
    await new Promise((r) => setTimeout(r, 0));
    expect(await keychain.get('a')).toBe('ok');
  });

  it('times out a module load that hangs too, and reports a module that cannot load', async () => {
    const hanging = createKeychain({ backend: () => new Promise<KeytarLike>(() => undefined), timeoutMs: 100 });
    await expect(hanging.get('x')).rejects.toMatchObject({ kind: 'timeout' });
    const missing = createKeychain({ backend: () => Promise.reject(new Error("Cannot find module '../build/Release/keytar.node'")) });
    await expect(missing.get('x')).rejects.toMatchObject({ kind: 'no-secret-service' });
  });

  it.each([
    ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'no-secret-service'],
    ['Could not connect: No such file or directory', 'no-secret-service'],
    ['The name org.freedesktop.secrets was not provided by any .service files', 'no-secret-service'],
    ['GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided', 'no-secret-service'],
    ['Object does not exist at path “/org/freedesktop/secrets/collection/login”', 'locked'],
    ['Cannot create an item in a locked collection', 'locked'],
    ['Access is denied.', 'denied'],
    ['User interaction is not allowed.', 'denied'],
    ['Timeout was reached', 'timeout'],
    ['Something else entirely', 'failed'],
  ])('classifies %j as %s', (text, kind) => {
    expect(classifyKeytarError(new Error(text))).toBe(kind);
  });
});

describe('vault', () => {
  it('remembers in the keychain under an entry derived from profile id and role', async () => {
    const { backend, vault } = setup();
    const ref = { profileId: P1, role: 'jump' as const };
    expect(await vault.status(ref)).toEqual({ stored: 'none' });
    expect(await vault.set(ref, 'S3cret!', true)).toEqual({ stored: 'keychain' });
    expect(backend.entries.get(`CredHop-test|profile:${P1}:jump`)).toBe('S3cret!');
    expect(keychainEntryName(ref)).toBe(`profile:${P1}:jump`);
    expect(await vault.status(ref)).toEqual({ stored: 'keychain' });
    expect(await vault.getSecret(P1, 'jump')).toBe('S3cret!');
    expect(await vault.getSecret(P1, 'target')).toBeNull();
  });

  it('keeps a password it was told not to remember in memory only, and forgets any remembered copy', async () => {
    const { backend, vault } = setup();
    const ref = { profileId: P1, role: 'jump' as const };
    await vault.set(ref, 'old', true);
    expect(await vault.set(ref, 'this-run-only', false)).toEqual({ stored: 'session' });
    expect(backend.entries.size).toBe(0);
    expect(await vault.status(ref)).toEqual({ stored: 'session' });
    expect(await vault.getSecret(P1, 'jump')).toBe('this-run-only');
    vault.clearSession();
    expect(await vault.getSecret(P1, 'jump')).toBeNull();
  });

  it('tells a locked keyring from an empty one, and falls back to this run only (never a file)', async () => {
    const { backend, vault } = setup();
    const ref = { profileId: P1, role: 'jump' as const };
    await vault.set(ref, 'remembered', true);
    backend.mode = 'locked';
    const status = await vault.status(ref);
    expect(status.stored).toBe('none');
    expect(status.keychainProblem).toMatchObject({ code: 'keychain-unavailable', message: expect.stringMatching(/keychain is locked/) });
    await expect(vault.getSecret(P1, 'jump')).rejects.toMatchObject({ code: 'keychain-unavailable', message: expect.stringMatching(/locked/) });

    const set = await vault.set(ref, 'typed-now', true);
    expect(set.stored).toBe('session');
    expect(set.keychainProblem?.hint).toMatch(/type the password for this run/);
    expect(await vault.getSecret(P1, 'jump')).toBe('typed-now');
  });

  it('reports an unreachable or hanging keychain as a problem, not a crash', async () => {
    const { backend, vault } = setup({ timeoutMs: 100 });
    const ref = { profileId: P1, role: 'target' as const };
    backend.mode = 'no-service';
    expect((await vault.status(ref)).keychainProblem?.message).toMatch(/no keychain service is running/);
    backend.mode = 'stalled';
    expect((await vault.status(ref)).keychainProblem).toMatchObject({ code: 'timeout' });
    expect(await vault.delete(ref)).toMatchObject({ removed: false, keychainProblem: { code: 'timeout' } });
    await expect(vault.getSecret(P1, 'target')).rejects.toMatchObject({ code: 'timeout' });
  });

  it('deletes both accounts of a profile, and moves or copies a secret between entries', async () => {
    const { backend, vault } = setup();
    await vault.set({ profileId: P1, role: 'jump' }, 'j', true);
    await vault.set({ profileId: P1, role: 'target' }, 't', false);
    await vault.copy({ profileId: P1, role: 'jump' }, { profileId: P2, role: 'jump' });
    await vault.copy({ profileId: P1, role: 'target' }, { profileId: P2, role: 'target' });
    expect(await vault.status({ profileId: P2, role: 'jump' })).toEqual({ stored: 'keychain' });
    expect(await vault.status({ profileId: P2, role: 'target' })).toEqual({ stored: 'session' }); // a copy stays where it was

    expect(await vault.move({ profileId: P2, role: 'jump' }, { profileId: P2, role: 'target' })).toEqual({ moved: true });
    expect(await vault.getSecret(P2, 'target')).toBe('t'); // memory wins for this run
    expect(backend.entries.get(`CredHop-test|profile:${P2}:target`)).toBe('j');
    expect(backend.entries.has(`CredHop-test|profile:${P2}:jump`)).toBe(false);

    expect(await vault.deleteProfile(P1)).toEqual({ removed: true });
    expect(await vault.getSecret(P1, 'jump')).toBeNull();
    expect(await vault.getSecret(P1, 'target')).toBeNull();
    expect(await vault.deleteProfile(P1)).toEqual({ removed: false });
  });

  it('reports, and does not throw, when deleting a profile whose keychain is locked', async () => {
    const { backend, vault } = setup();
    await vault.set({ profileId: P1, role: 'jump' }, 'j', true);
    backend.mode = 'no-service';
    const result = await vault.deleteProfile(P1);
    expect(result.keychainProblem?.code).toBe('keychain-unavailable');
  });

  it('prunes entries of profiles that no longer exist, and only its own', async () => {
    const { backend, vault } = setup();
    await vault.set({ profileId: P1, role: 'jump' }, 'a', true);
    await vault.set({ profileId: P2, role: 'jump' }, 'b', true);
    backend.entries.set('CredHop-test|something-else', 'c');
    expect(await vault.pruneOrphans(new Set([P1]))).toEqual([`profile:${P2}:jump`]);
    expect([...backend.entries.keys()].sort()).toEqual([`CredHop-test|profile:${P1}:jump`, 'CredHop-test|something-else']);
  });

  it('logs what happened without the secret', async () => {
    const { backend, vault, log } = setup();
    await vault.set({ profileId: P1, role: 'jump' }, 'Pa55-log-check', true);
    await vault.getSecret(P1, 'jump');
    backend.mode = 'locked';
    await vault.status({ profileId: P1, role: 'jump' });
    expect(log.map((e) => `${e.event}:${e.outcome}`)).toEqual(['set:ok', 'read:ok', 'status:keychain-failed']);
    expect(JSON.stringify(log)).not.toContain('Pa55-log-check');
  });
});
