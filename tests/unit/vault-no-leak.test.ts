// Proves that a password set through the bridge never comes back out: not in an IPC response or
// error, not in the profile file, a backup or an export, not in a log line or on the console.
// Runs the real router, real handlers, real store and vault on real files; only the OS keychain is
// an in-memory stand-in here (tests/integration/keychain.test.ts repeats the file check against
// gnome-keyring).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../src/shared/channels';
import type { Result } from '../../src/shared/result';
import type { Handlers } from '../../src/main/ipc/handler';
import { createRouter } from '../../src/main/ipc/router';
import { createProfileHandlers } from '../../src/main/profiles/handlers';
import { ProfileStore } from '../../src/main/profiles/store';
import { createKeychain, type KeytarLike } from '../../src/main/vault/keychain';
import { createVault } from '../../src/main/vault/vault';

const JUMP_PASSWORD = 'Pa$$-"jump"-\\é-leak-check-7f3a';
const TARGET_PASSWORD = 'Tgt#pw-leak-check-91b2 with spaces';
const SESSION_PASSWORD = 'Only this run! leak-check-c0de';
const SECRETS = [JUMP_PASSWORD, TARGET_PASSWORD, SESSION_PASSWORD];

/** Every form in which a secret could show up in text. */
function forms(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64'), Buffer.from(secret, 'utf16le').toString('base64'), encodeURIComponent(secret)];
}
function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) for (const form of forms(secret)) expect(text.includes(form), `${where} contains a secret`).toBe(false);
}

class MemoryKeytar implements KeytarLike {
  readonly entries = new Map<string, string>();
  locked = false;
  async getPassword(s: string, a: string) {
    return this.locked ? null : (this.entries.get(`${s}|${a}`) ?? null);
  }
  async setPassword(s: string, a: string, p: string) {
    if (this.locked) throw new Error('Cannot create an item in a locked collection');
    this.entries.set(`${s}|${a}`, p);
  }
  async deletePassword(s: string, a: string) {
    return this.locked ? false : this.entries.delete(`${s}|${a}`);
  }
  async findCredentials(s: string) {
    return [...this.entries].filter(([k]) => k.startsWith(`${s}|`)).map(([k, password]) => ({ account: k.slice(s.length + 1), password }));
  }
}

function allFiles(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credhop-leak-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('no secret leaves main', () => {
  it('not in responses, errors, files, exports, backups, logs or the console', async () => {
    const consoleText: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleText.push(args.map(String).join(' ')));
    }
    const logs: unknown[] = [];
    const backend = new MemoryKeytar();
    const store = new ProfileStore({ dataDir: dir, log: (e) => logs.push(e) });
    const vault = createVault({ keychain: createKeychain({ backend, timeoutMs: 500 }), verifyMisses: true, log: (e) => logs.push(e) });
    const notUnderTest = Object.fromEntries(CHANNELS.map((c) => [c, async () => ({})])) as unknown as Handlers;
    const router = createRouter({ ...notUnderTest, ...createProfileHandlers({ store, vault }) }, { isTrustedSender: () => true, log: (e) => logs.push(e) });
    const sender = { url: 'app://credhop/index.html', isTopFrame: true, windowId: 1 };
    const responses: Array<Result<unknown>> = [];
    async function call(channel: string, request: unknown): Promise<Result<unknown>> {
      const result = await router.dispatch(channel, sender, request, (event) => logs.push(event));
      responses.push(result);
      return result;
    }
    const data = <T>(result: Result<unknown>): T => {
      if (!result.ok) throw new Error(`call failed: ${result.error.message}`);
      return result.data as T;
    };

    const profile = {
      name: 'Payroll',
      jumpServer: 'jump01',
      jumpServerConnectAs: 'jump01.corp.contoso.com',
      target: 'fs01',
      jumpAccount: 'CONTOSO\\hd1',
      targetAccount: 'CONTOSO\\fsadmin',
      probeCommand: 'Get-ChildItem \\\\fs01\\payroll',
    };
    const { profile: saved } = data<{ profile: { id: string; updatedAt: string } }>(await call('profilesSave', { profile }));
    const id = saved.id;

    // Set secrets: remembered, for this run only, and a keychain that is locked (fallback to memory).
    expect(data(await call('secretSet', { profileId: id, role: 'jump', password: JUMP_PASSWORD, remember: true }))).toMatchObject({ stored: 'keychain' });
    expect(data(await call('secretSet', { profileId: id, role: 'target', password: TARGET_PASSWORD, remember: false }))).toMatchObject({ stored: 'session' });
    // Main can read them (the positive control: the secrets really are there).
    expect(await vault.getSecret(id, 'jump')).toBe(JUMP_PASSWORD);
    expect(await vault.getSecret(id, 'target')).toBe(TARGET_PASSWORD);

    // Everything the renderer may ask.
    await call('secretStatus', { profileId: id, role: 'jump' });
    await call('secretStatus', { profileId: id, role: 'target' });
    await call('profilesList', {});
    await call('profilesList', { query: 'pay' });
    await call('profilesGet', { id });
    const { profile: copy } = data<{ profile: { id: string } }>(await call('profilesDuplicate', { id, copySecrets: true }));
    expect(await vault.getSecret(copy.id, 'jump')).toBe(JUMP_PASSWORD);
    await call('profilesRename', { id, name: 'Payroll EU' });
    expect(await vault.getSecret(id, 'jump')).toBe(JUMP_PASSWORD);
    const exported = data<{ content: string }>(await call('profilesExport', {}));
    writeFileSync(join(dir, 'export.json'), exported.content);

    // Import a file that tries to smuggle a password in; it is dropped and not echoed.
    const smuggled = JSON.parse(exported.content) as { profiles: Array<Record<string, unknown>> };
    smuggled.profiles[0]!['password'] = SESSION_PASSWORD;
    await call('profilesImport', { content: JSON.stringify(smuggled), onConflict: 'keep-both' });

    // Requests that fail validation or refer to nothing must not echo the password either.
    expect((await call('secretSet', { profileId: id, role: 'jump', password: `${SESSION_PASSWORD}\u0000`, remember: true })).ok).toBe(false);
    expect((await call('secretSet', { profileId: '00000000-0000-4000-8000-000000000000', role: 'jump', password: SESSION_PASSWORD, remember: true })).ok).toBe(false);
    expect((await call('secretSet', { profileId: id, role: 'jump', password: SESSION_PASSWORD, remember: 'yes' })).ok).toBe(false);
    expect((await call('secretSet', { profileId: id, role: 'jump', password: SESSION_PASSWORD, remember: true, extra: SESSION_PASSWORD })).ok).toBe(false);
    expect((await call('profilesSave', { profile: { ...profile, name: 'X', password: SESSION_PASSWORD } })).ok).toBe(false);
    expect((await call('profilesSave', { profile: { ...profile, name: SESSION_PASSWORD, jumpServer: SESSION_PASSWORD } })).ok).toBe(false);

    // A locked keychain: the password typed now is kept for this run; the message says so, without it.
    backend.locked = true;
    const fallback = data<{ stored: string; keychainProblem?: { message: string } }>(
      await call('secretSet', { profileId: copy.id, role: 'jump', password: SESSION_PASSWORD, remember: true }),
    );
    expect(fallback.stored).toBe('session');
    expect(fallback.keychainProblem?.message).toMatch(/locked/);
    await call('secretStatus', { profileId: id, role: 'jump' });
    backend.locked = false;

    // Changing the account forgets the old account's password.
    const current = data<{ profile: { updatedAt: string } }>(await call('profilesGet', { id }));
    const changed = data<{ secretsForgotten: string[] }>(
      await call('profilesSave', { id, expectedUpdatedAt: current.profile.updatedAt, profile: { ...profile, name: 'Payroll EU', jumpAccount: 'CONTOSO\\hd2' } }),
    );
    expect(changed.secretsForgotten).toEqual(['jump']);
    expect(await vault.getSecret(id, 'jump')).toBeNull();

    // Delete a profile (and its secrets), then damage the file so a backup is made.
    expect(data(await call('profilesDelete', { id: copy.id }))).toEqual({ deleted: true, secretsRemoved: true });
    expect(await vault.getSecret(copy.id, 'jump')).toBeNull();
    expect(await vault.getSecret(copy.id, 'target')).toBeNull();
    writeFileSync(store.filePath, `${readFileSync(store.filePath, 'utf8')}garbage`);
    await call('profilesList', {});

    // The checks.
    expect(responses.length).toBeGreaterThan(20);
    expectNoSecret(JSON.stringify(responses), 'an IPC response');
    expectNoSecret(JSON.stringify(logs), 'a log entry');
    expectNoSecret(consoleText.join('\n'), 'the console');
    const files = allFiles(dir);
    expect(files.some((f) => f.endsWith('.bak'))).toBe(true);
    expect(files.some((f) => f.endsWith('export.json'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      expectNoSecret(bytes.toString('utf8'), file);
      expectNoSecret(bytes.toString('latin1'), file);
    }
    vi.restoreAllMocks();
  });
});
