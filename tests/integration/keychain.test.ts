// The vault against the real OS keychain: keytar -> libsecret -> gnome-keyring on a private D-Bus
// session. Run it through the helper, which starts an unlocked keyring on a throw-away folder:
//
//   bash scripts/with-keyring.sh npx vitest run tests/integration/keychain.test.ts
//
// The failure cases build their own conditions in child processes: no D-Bus at all, a bus address
// that leads nowhere, a D-Bus session without a secret service, a keyring locked over the Secret
// Service API, a keyring daemon started without --unlock, and a daemon frozen with SIGSTOP (a call
// that never answers). Nothing here mocks keytar.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/main/errors';
import { createProfileHandlers } from '../../src/main/profiles/handlers';
import { ProfileStore } from '../../src/main/profiles/store';
import { createKeychain, KeychainError, type KeytarLike } from '../../src/main/vault/keychain';
import { createVault, keychainEntryName } from '../../src/main/vault/vault';
import type { HandlerContext } from '../../src/main/ipc/handler';

const ROOT = resolve(__dirname, '../..');
const HOW_TO_RUN = 'Run it through the helper: bash scripts/with-keyring.sh npx vitest run tests/integration/keychain.test.ts';
// A service name of this run only, so even a misdirected run could never touch real entries.
const SERVICE = `CredHop-test-${randomBytes(4).toString('hex')}`;
const PASSWORD = 'Real-keyring-pw "quoted" é 42';
const ctx: HandlerContext = { operationId: 'test', progress: () => undefined };

let keytar: KeytarLike;
let work: string;

beforeAll(async () => {
  if (process.env['CREDHOP_TEST_KEYRING'] !== '1' || !process.env['DBUS_SESSION_BUS_ADDRESS']) {
    throw new Error(`The keychain test needs a private D-Bus session with an unlocked gnome-keyring, and found none. ${HOW_TO_RUN}`);
  }
  const probe = createKeychain({ service: SERVICE, timeoutMs: 10_000 });
  try {
    await probe.probeWritable();
  } catch (error) {
    const detail = error instanceof KeychainError ? `${error.kind}: ${error.detail}` : String(error);
    throw new Error(`The secret service on this D-Bus session is not usable (${detail}). ${HOW_TO_RUN}`);
  }
  keytar = (await import('keytar')).default as unknown as KeytarLike;
  work = mkdtempSync(join(tmpdir(), 'credhop-keychain-'));
});

afterAll(async () => {
  if (keytar) for (const { account } of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, account);
  if (work) rmSync(work, { recursive: true, force: true });
});

function services(dataDir: string) {
  const store = new ProfileStore({ dataDir });
  const keychain = createKeychain({ service: SERVICE, timeoutMs: 10_000 });
  const vault = createVault({ keychain, verifyMisses: true });
  return { store, keychain, vault, handlers: createProfileHandlers({ store, vault }) };
}

const input = {
  name: 'Payroll',
  jumpServer: 'jump01',
  jumpServerConnectAs: 'jump01.corp.contoso.com',
  target: 'fs01',
  jumpAccount: 'CONTOSO\\hd1',
  targetAccount: 'CONTOSO\\fsadmin',
  probeCommand: 'hostname',
  timeBoxMinutes: 60,
  notes: '',
};

describe('the real keychain (gnome-keyring over D-Bus)', () => {
  it('sets, reads in main, reports existence and deletes, under the app service and an id-derived entry', async () => {
    const { store, vault, handlers } = services(join(work, 'basic'));
    const { profile } = await handlers.profilesSave({ profile: input }, ctx);
    const ref = { profileId: profile.id, role: 'jump' as const };

    expect(await handlers.secretStatus(ref, ctx)).toEqual({ ...ref, account: 'CONTOSO\\hd1', stored: 'none' });
    expect(await handlers.secretSet({ ...ref, password: PASSWORD, remember: true }, ctx)).toEqual({ ...ref, stored: 'keychain' });
    // In the keychain itself, under the app's service and the id-derived entry name.
    expect(await keytar.getPassword(SERVICE, `profile:${profile.id}:jump`)).toBe(PASSWORD);
    // A second vault (a restart of the app) reads it from the keychain, in main.
    expect(await services(join(work, 'basic')).vault.getSecret(profile.id, 'jump')).toBe(PASSWORD);
    expect(await vault.getSecret(profile.id, 'jump')).toBe(PASSWORD);
    expect(await handlers.secretStatus(ref, ctx)).toEqual({ ...ref, account: 'CONTOSO\\hd1', stored: 'keychain' });

    expect(await handlers.secretDelete(ref, ctx)).toEqual({ ...ref, removed: true });
    expect(await keytar.getPassword(SERVICE, keychainEntryName(ref))).toBeNull();
    expect(await handlers.secretStatus(ref, ctx)).toMatchObject({ stored: 'none' });
    expect(await handlers.secretDelete(ref, ctx)).toEqual({ ...ref, removed: false });
    expect(await store.list()).toHaveLength(1);
  });

  it('keeps a not-remembered password out of the keychain', async () => {
    const { handlers, vault } = services(join(work, 'session'));
    const { profile } = await handlers.profilesSave({ profile: input }, ctx);
    const ref = { profileId: profile.id, role: 'target' as const };
    expect(await handlers.secretSet({ ...ref, password: PASSWORD, remember: false }, ctx)).toMatchObject({ stored: 'session' });
    expect(await keytar.getPassword(SERVICE, keychainEntryName(ref))).toBeNull();
    expect(await vault.getSecret(profile.id, 'target')).toBe(PASSWORD);
    expect(await services(join(work, 'session')).vault.getSecret(profile.id, 'target')).toBeNull(); // gone after a restart
  });

  it('rename keeps the secret (the entry is keyed by the stable id); move, duplicate and account changes move, copy and forget it', async () => {
    const { handlers, vault } = services(join(work, 'rename'));
    const { profile } = await handlers.profilesSave({ profile: input }, ctx);
    await handlers.secretSet({ profileId: profile.id, role: 'jump', password: PASSWORD, remember: true }, ctx);

    const { profile: renamed } = await handlers.profilesRename({ id: profile.id, name: 'Payroll (EU)' }, ctx);
    expect(renamed.id).toBe(profile.id);
    expect(await vault.getSecret(profile.id, 'jump')).toBe(PASSWORD);
    const accounts = (await keytar.findCredentials(SERVICE)).map((c) => c.account);
    expect(accounts.some((a) => a.includes('Payroll'))).toBe(false); // never keyed by the display name

    const { profile: copy } = await handlers.profilesDuplicate({ id: profile.id, copySecrets: true }, ctx);
    expect(await keytar.getPassword(SERVICE, `profile:${copy.id}:jump`)).toBe(PASSWORD);

    expect(await vault.move({ profileId: copy.id, role: 'jump' }, { profileId: copy.id, role: 'target' })).toEqual({ moved: true });
    expect(await keytar.getPassword(SERVICE, `profile:${copy.id}:jump`)).toBeNull();
    expect(await keytar.getPassword(SERVICE, `profile:${copy.id}:target`)).toBe(PASSWORD);

    const saved = await handlers.profilesSave({ id: copy.id, profile: { ...input, name: copy.name, targetAccount: 'CONTOSO\\other' } }, ctx);
    expect(saved.secretsForgotten).toEqual(['target']);
    expect(await keytar.getPassword(SERVICE, `profile:${copy.id}:target`)).toBeNull();
  });

  it('deleting a profile deletes its secrets', async () => {
    const { handlers } = services(join(work, 'delete'));
    const { profile } = await handlers.profilesSave({ profile: input }, ctx);
    await handlers.secretSet({ profileId: profile.id, role: 'jump', password: PASSWORD, remember: true }, ctx);
    await handlers.secretSet({ profileId: profile.id, role: 'target', password: PASSWORD, remember: true }, ctx);
    expect(await handlers.profilesDelete({ id: profile.id }, ctx)).toEqual({ deleted: true, secretsRemoved: true });
    expect(await keytar.getPassword(SERVICE, `profile:${profile.id}:jump`)).toBeNull();
    expect(await keytar.getPassword(SERVICE, `profile:${profile.id}:target`)).toBeNull();
  });

  it('times out a keychain call that never answers (the real keytar wrapped around a stall)', async () => {
    const stalled: KeytarLike = { ...keytar, getPassword: () => new Promise<string | null>(() => undefined) };
    const vault = createVault({ keychain: createKeychain({ service: SERVICE, backend: stalled, timeoutMs: 300 }), verifyMisses: true });
    const started = Date.now();
    const status = await vault.status({ profileId: '6f1c1b1e-2a5b-4c1d-9e2f-0123456789ab', role: 'jump' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(status.keychainProblem).toMatchObject({ code: 'timeout', message: expect.stringMatching(/did not answer/) });
  });

  it('leaves no secret in the data folder', () => {
    const files = (function walk(d: string): string[] {
      return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    })(work);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f, 'utf8').includes(PASSWORD), f).toBe(false);
  });
});

// ---- failure cases, each in a child process with conditions of its own ----

interface ChildReport {
  rawGetIsNull?: boolean;
  status: { stored: string; keychainProblem?: { code: string; message: string; hint?: string } };
  read: { code: string; message: string; hint?: string } | 'no error';
  set: { stored: string; keychainProblem?: { code: string; message: string } };
  readAfterSetIsTyped: boolean;
  elapsedMs: number;
}

const CHILD = `
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createKeychain } from ${JSON.stringify(join(ROOT, 'src/main/vault/keychain.ts'))};
import { createVault } from ${JSON.stringify(join(ROOT, 'src/main/vault/vault.ts'))};

async function main() {
  const keychain = createKeychain({ service: 'CredHop-child', timeoutMs: Number(process.env.TIMEOUT_MS ?? '3000') });
  const vault = createVault({ keychain, verifyMisses: true });
  const ref = { profileId: '6f1c1b1e-2a5b-4c1d-9e2f-0123456789ab', role: 'jump' as const };
  const out: Record<string, unknown> = {};
  if (process.env.PRESET_THEN_LOCK === '1') {
    await vault.set(ref, 'stored-before-lock', true);
    execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'], { stdio: 'ignore' });
    const keytar = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('keytar');
    out.rawGetIsNull = (await keytar.getPassword('CredHop-child', 'profile:' + ref.profileId + ':jump')) === null;
  }
  const started = Date.now();
  out.status = await vault.status(ref);
  try {
    await vault.getSecret(ref.profileId, ref.role);
    out.read = 'no error';
  } catch (error) {
    const e = error as { code: string; message: string; hint?: string };
    out.read = { code: e.code, message: e.message, hint: e.hint };
  }
  out.set = await vault.set(ref, 'typed-for-this-run', true);
  out.readAfterSetIsTyped = (await vault.getSecret(ref.profileId, ref.role)) === 'typed-for-this-run';
  out.elapsedMs = Date.now() - started;
  process.stdout.write('REPORT ' + JSON.stringify(out) + '\\n');
  if (process.env.DONE_MARKER) writeFileSync(process.env.DONE_MARKER, 'done');
  process.exit(0); // a frozen daemon would otherwise keep the pending D-Bus call (and us) alive
}
main().catch((error) => { process.stdout.write('CRASH ' + String(error && error.stack || error) + '\\n'); process.exit(3); });
`;

let childDir: string;
let childScript: string;

function runChild(command: string[], env: Record<string, string | undefined>): ChildReport {
  const result = spawnSync(command[0]!, command.slice(1), { cwd: ROOT, env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 90_000 });
  const line = result.stdout.split('\n').find((l) => l.startsWith('REPORT '));
  if (line === undefined) {
    throw new Error(`the child reported nothing (exit ${result.status}, signal ${result.signal}):\n${result.stdout}\n${result.stderr.slice(-3000)}`);
  }
  return JSON.parse(line.slice('REPORT '.length)) as ChildReport;
}

/** The environment of this process without any D-Bus or display session. */
function bareEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const key of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY', 'NODE_OPTIONS', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete env[key];
  env['XDG_DATA_HOME'] = mkdtempSync(join(childDir, 'xdg-'));
  return env;
}

const nodeChild = () => [process.execPath, '--import', 'tsx', childScript];
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function expectUsableWithoutKeychain(report: ChildReport, message: RegExp): void {
  expect(report.status.stored).toBe('none');
  expect(report.status.keychainProblem?.message).toMatch(message);
  expect(report.status.keychainProblem?.hint).toMatch(/type the password for this run/);
  expect(report.read).toMatchObject({ message: expect.stringMatching(message) });
  // Remember was asked, the keychain failed: the password is kept for this run, in memory, and the user is told.
  expect(report.set.stored).toBe('session');
  expect(report.set.keychainProblem?.message).toMatch(message);
  expect(report.readAfterSetIsTyped).toBe(true);
}

describe('when the keychain fails, the user is told and can go on with a password for this run', () => {
  beforeAll(() => {
    childDir = mkdtempSync(join(tmpdir(), 'credhop-keychain-child-'));
    childScript = join(childDir, 'child.ts');
    writeFileSync(childScript, CHILD);
  });
  afterAll(() => {
    if (childDir) rmSync(childDir, { recursive: true, force: true });
  });

  it('no D-Bus session at all', () => {
    const report = runChild(nodeChild(), bareEnv());
    expect(report.status.keychainProblem?.code).toBe('keychain-unavailable');
    expectUsableWithoutKeychain(report, /no keychain service is running/);
  });

  it('a D-Bus address that leads nowhere', () => {
    const report = runChild(nodeChild(), { ...bareEnv(), DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(childDir, 'no-such-socket')}` });
    expectUsableWithoutKeychain(report, /no keychain service is running/);
  });

  it('a D-Bus session without a secret service', () => {
    const conf = join(childDir, 'bare-bus.conf');
    writeFileSync(
      conf,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${childDir}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
    );
    const report = runChild(['dbus-run-session', `--config-file=${conf}`, '--', ...nodeChild()], bareEnv());
    expectUsableWithoutKeychain(report, /no keychain service is running/);
  });

  it('a keyring locked through the Secret Service API (libsecret then reads "nothing" — CredHop is not fooled)', () => {
    const script = `echo -n test | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null; exec ${nodeChild().map(shellQuote).join(' ')}`;
    const report = runChild(['dbus-run-session', '--', 'bash', '-c', script], bareEnv({ PRESET_THEN_LOCK: '1' }));
    expect(report.rawGetIsNull).toBe(true); // keytar alone would call a locked keyring empty
    expect(report.status.keychainProblem?.code).toBe('keychain-unavailable');
    expectUsableWithoutKeychain(report, /keychain is locked/);
    expect(report.status.keychainProblem?.hint).toMatch(/Unlock your keyring/);
  });

  it('a keyring daemon started without --unlock (no login keyring can be opened headless)', () => {
    const script = `gnome-keyring-daemon --components=secrets --daemonize >/dev/null; exec ${nodeChild().map(shellQuote).join(' ')}`;
    const report = runChild(['dbus-run-session', '--', 'bash', '-c', script], bareEnv());
    expectUsableWithoutKeychain(report, /keychain is locked/);
  });

  it('a keyring that never answers (daemon frozen with SIGSTOP): calls give up at the timeout', () => {
    // The daemon is this session's own child; it is frozen, resumed once the child has reported
    // (so the call still outstanding in keytar's thread can finish), and ended, all by its pid.
    const marker = join(childDir, `done-${Date.now()}`);
    const script = [
      'echo -n test | gnome-keyring-daemon --unlock --components=secrets --foreground >/dev/null 2>&1 &',
      'KPID=$!',
      'for _ in $(seq 1 50); do dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break; sleep 0.1; done',
      'kill -STOP $KPID',
      `(while [ ! -f ${shellQuote(marker)} ]; do sleep 0.1; done; kill -CONT $KPID) &`,
      `${nodeChild().map(shellQuote).join(' ')}; rc=$?`,
      `touch ${shellQuote(marker)}; kill -CONT $KPID; kill $KPID 2>/dev/null; wait $KPID 2>/dev/null`,
      'exit $rc',
    ].join('\n');
    const started = Date.now();
    const report = runChild(['dbus-run-session', '--', 'bash', '-c', script], bareEnv({ TIMEOUT_MS: '2000', DONE_MARKER: marker }));
    expect(Date.now() - started).toBeLessThan(20_000); // not D-Bus's own 25 s timeout
    expect(report.status.keychainProblem).toMatchObject({
      code: 'timeout',
      message: 'The system keychain did not answer within 2 seconds; it may be waiting for an unlock prompt.',
    });
    expect(report.read).toMatchObject({ code: 'timeout' });
    expectUsableWithoutKeychain(report, /did not answer within 2 seconds/);
    // One call waited the 2 s; the next ones failed at once because the first was still hung.
    expect(report.elapsedMs).toBeGreaterThanOrEqual(1_900);
    expect(report.elapsedMs).toBeLessThan(4_000);
  });

  it('AppError is what main code catches from getSecret', async () => {
    // The same contract in-process: a vault whose keychain is unreachable throws AppError, never keytar's raw error.
    const vault = createVault({
      keychain: createKeychain({ service: SERVICE, backend: async () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')) }),
    });
    await expect(vault.getSecret('6f1c1b1e-2a5b-4c1d-9e2f-0123456789ab', 'jump')).rejects.toBeInstanceOf(AppError);
  });
});
