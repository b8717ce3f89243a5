import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/main/errors';
import {
  CURRENT_SCHEMA_VERSION,
  interpretProfileFile,
  PROFILE_FILE_NAME,
  ProfileStore,
  uniqueName,
} from '../../src/main/profiles/store';
import type { HopProfileFields } from '../../src/shared/domain/profile';

const ROOT = resolve(__dirname, '../..');

function fields(overrides: Partial<HopProfileFields> = {}): HopProfileFields {
  return {
    name: 'Payroll',
    jumpServer: 'jump01',
    jumpServerConnectAs: 'jump01.corp.contoso.com',
    target: 'fs01.corp.contoso.com',
    jumpAccount: 'CONTOSO\\helpdesk1',
    targetAccount: null,
    probeCommand: 'Get-ChildItem \\\\fs01\\payroll',
    timeBoxMinutes: 60,
    notes: '',
    ...overrides,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credhop-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const filePath = () => join(dir, PROFILE_FILE_NAME);
const readDoc = () => JSON.parse(readFileSync(filePath(), 'utf8')) as { format: string; schemaVersion: number; profiles: Array<Record<string, unknown>> };
const backups = () => readdirSync(dir).filter((n) => n.endsWith('.bak'));

async function expectAppError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe(code);
  if (message) expect(appError.message).toMatch(message);
  return appError;
}

describe('profile CRUD', () => {
  it('creates, lists, gets, updates, renames, duplicates, searches and deletes', async () => {
    const store = new ProfileStore({ dataDir: dir });
    expect(await store.list()).toEqual([]);
    expect(existsQuiet(filePath())).toBe(false); // reading never creates the file

    const a = await store.create(fields());
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.createdAt).toBe(a.updatedAt);
    const b = await store.create(fields({ name: 'HR share', target: 'hr01', notes: 'ticket 99' }));

    const doc = readDoc();
    expect(doc.format).toBe('credhop.profiles');
    expect(doc.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(doc.profiles.map((p) => p['name'])).toEqual(['Payroll', 'HR share']);
    if (process.platform !== 'win32') expect(statSync(filePath()).mode & 0o777).toBe(0o600);

    expect((await store.list()).map((p) => p.name)).toEqual(['HR share', 'Payroll']); // sorted by name
    expect((await store.list('TICKET')).map((p) => p.id)).toEqual([b.id]);
    expect((await store.list('fs01')).map((p) => p.id)).toEqual([a.id]);
    expect(await store.get(a.id.toUpperCase())).toEqual(a);

    const { before, after } = await store.update(a.id, fields({ timeBoxMinutes: 30 }));
    expect(before).toEqual(a);
    expect(after).toMatchObject({ id: a.id, createdAt: a.createdAt, timeBoxMinutes: 30 });
    expect(after.updatedAt > a.updatedAt).toBe(true);

    const renamed = await store.rename(a.id, 'Payroll (EU)');
    expect(renamed.id).toBe(a.id); // ids are stable across renames

    const { copy } = await store.duplicate(a.id);
    expect(copy.name).toBe('Payroll (EU) (copy)');
    expect(copy.id).not.toBe(a.id);
    const { copy: copy2 } = await store.duplicate(a.id);
    expect(copy2.name).toBe('Payroll (EU) (copy) (2)');
    const { copy: named } = await store.duplicate(a.id, 'Payroll US');
    expect(named.name).toBe('Payroll US');

    await store.remove(copy.id);
    expect((await store.list()).map((p) => p.name)).toEqual(['HR share', 'Payroll (EU)', 'Payroll (EU) (copy) (2)', 'Payroll US']);
    // What is on disk is what a fresh store (the CLI, a restart) sees.
    expect(await new ProfileStore({ dataDir: dir }).list()).toEqual(await store.list());
  });

  it('refuses duplicate names (case-insensitively), unknown ids and stale edits with plain words', async () => {
    const store = new ProfileStore({ dataDir: dir });
    const a = await store.create(fields());
    const b = await store.create(fields({ name: 'Other' }));
    await expectAppError(store.create(fields({ name: 'PAYROLL' })), 'conflict', /already exists/);
    await expectAppError(store.rename(b.id, 'payroll'), 'conflict');
    await expectAppError(store.duplicate(b.id, 'Payroll'), 'conflict');
    await expectAppError(store.update(b.id, fields({ name: 'Payroll' })), 'conflict');
    await store.rename(a.id, 'PAYROLL'); // renaming a profile to another spelling of its own name is fine
    const missing = '00000000-0000-4000-8000-000000000000';
    await expectAppError(store.get(missing), 'not-found', /does not exist/);
    await expectAppError(store.remove(missing), 'not-found');
    await expectAppError(store.update(a.id, fields(), '2000-01-01T00:00:00.000Z'), 'conflict', /changed elsewhere/);
    expect((await store.list()).length).toBe(2);
  });

  it('serialises concurrent changes in one process and sees changes made by another store on the same folder', async () => {
    const app = new ProfileStore({ dataDir: dir });
    const cli = new ProfileStore({ dataDir: dir });
    await Promise.all(Array.from({ length: 12 }, (_, i) => app.create(fields({ name: `P${i}` }))));
    expect((await app.list()).length).toBe(12);
    await cli.create(fields({ name: 'From the CLI' }));
    expect((await app.list()).map((p) => p.name)).toContain('From the CLI');
    await app.remove((await app.list('From the CLI'))[0]!.id);
    expect((await cli.list()).length).toBe(12);
  });

  it('makes unique names within the length limit', () => {
    const long = 'x'.repeat(80);
    expect(uniqueName(long, [{ name: long }])).toBe(`${'x'.repeat(76)} (2)`);
    expect(uniqueName('a', [{ name: 'A' }, { name: 'a (2)' }])).toBe('a (3)');
  });
});

describe('atomic writes', () => {
  it('a failure between write and rename loses nothing and leaves no temp file', async () => {
    const good = new ProfileStore({ dataDir: dir });
    await good.create(fields());
    const before = readFileSync(filePath(), 'utf8');

    let tempSeen = '';
    const crashing = new ProfileStore({
      dataDir: dir,
      hooks: {
        beforeRename: (temp) => {
          tempSeen = temp;
          // The new content is complete and flushed in the temp file at this point.
          expect(JSON.parse(readFileSync(temp, 'utf8')).profiles).toHaveLength(2);
          throw new Error('simulated crash');
        },
      },
    });
    await expectAppError(crashing.create(fields({ name: 'Lost' })), 'internal', /could not save/);
    expect(tempSeen).not.toBe('');
    expect(readFileSync(filePath(), 'utf8')).toBe(before);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect((await new ProfileStore({ dataDir: dir }).list()).map((p) => p.name)).toEqual(['Payroll']);
  });

  it('a process killed between write and rename loses nothing; the stale temp file is cleaned up later', async () => {
    const store = new ProfileStore({ dataDir: dir });
    await store.create(fields());
    const before = readFileSync(filePath(), 'utf8');

    const script = join(dir, 'crash.ts');
    writeFileSync(
      script,
      `import { ProfileStore } from ${JSON.stringify(join(ROOT, 'src/main/profiles/store.ts'))};
const store = new ProfileStore({ dataDir: ${JSON.stringify(dir)}, hooks: { beforeRename: () => { process.kill(process.pid, 'SIGKILL'); } } });
void store.create(${JSON.stringify(fields({ name: 'Never saved' }))});
`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(readFileSync(filePath(), 'utf8')).toBe(before);
    const temps = readdirSync(dir).filter((n) => n.includes('.tmp-'));
    expect(temps).toHaveLength(1); // the crash left its flushed temp file behind, the real file untouched

    // A later start (clock two minutes on) ignores the leftover, keeps the data and removes it.
    const later = new ProfileStore({ dataDir: dir, now: () => new Date(Date.now() + 120_000) });
    expect((await later.list()).map((p) => p.name)).toEqual(['Payroll']);
    expect(later.notices()).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('says in plain words why a save failed (disk full) and keeps the current profiles', async () => {
    const store = new ProfileStore({ dataDir: dir });
    await store.create(fields());
    const full = new ProfileStore({
      dataDir: dir,
      hooks: {
        beforeRename: () => {
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        },
      },
    });
    await expectAppError(full.create(fields({ name: 'Second' })), 'internal', /the disk is full\. Nothing was changed/);
    expect((await store.list()).map((p) => p.name)).toEqual(['Payroll']);
  });

  it('refuses to save into a data folder it cannot read', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const store = new ProfileStore({ dataDir: join(blocker, 'CredHop') });
    expect(await store.list()).toEqual([]);
    expect(store.notices()[0]?.kind).toBe('unreadable');
    await expectAppError(store.create(fields()), 'refused', /will not change the profiles/);
  });
});

describe('damaged, newer and older files', () => {
  it('keeps a corrupt file aside, tells the user, and starts empty without crashing', async () => {
    const garbage = '{"format":"credhop.profiles","schemaVersion":2,"profiles":[{"name":"Pay';
    writeFileSync(filePath(), garbage);
    const store = new ProfileStore({ dataDir: dir });
    expect(await store.list()).toEqual([]);
    const [notice] = store.notices();
    expect(notice).toMatchObject({ kind: 'corrupt', level: 'warn' });
    expect(notice?.message).toMatch(/damaged/);
    expect(notice?.backupPath).toBeDefined();
    expect(readFileSync(notice!.backupPath!, 'utf8')).toBe(garbage); // never overwritten: kept byte for byte
    expect(readDoc().profiles).toEqual([]); // the file itself is healthy again
    // Work continues; the backup survives later saves, and a restart does not report it again.
    await store.create(fields());
    expect(readFileSync(notice!.backupPath!, 'utf8')).toBe(garbage);
    const restarted = new ProfileStore({ dataDir: dir });
    expect((await restarted.list()).length).toBe(1);
    expect(restarted.notices()).toEqual([]);
    expect(backups()).toHaveLength(1);
  });

  it.each([
    ['binary noise', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02])],
    ['an empty file', Buffer.alloc(0)],
    ['a JSON array', Buffer.from('[1,2,3]')],
    ['JSON without profiles', Buffer.from('{"schemaVersion":2}')],
    ['null', Buffer.from('null')],
  ])('treats %s as damaged', async (_label, bytes) => {
    writeFileSync(filePath(), bytes);
    const store = new ProfileStore({ dataDir: dir });
    expect(await store.list()).toEqual([]);
    expect(store.notices()[0]?.kind).toBe('corrupt');
    expect(readFileSync(store.notices()[0]!.backupPath!)).toEqual(bytes);
  });

  it('loads what it can read from a file written by a newer version, and keeps the original', async () => {
    const newer = {
      format: 'credhop.profiles',
      schemaVersion: CURRENT_SCHEMA_VERSION + 1,
      savedAt: '2030-01-01T00:00:00.000Z',
      profiles: [
        { ...fields(), id: '3f1c1b1e-2a5b-4c1d-9e2f-0123456789ab', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z', jumpTransport: 'ssh' },
        { id: 'something-new', shape: 'unknown to this version' },
      ],
    };
    const text = JSON.stringify(newer);
    writeFileSync(filePath(), text);
    const store = new ProfileStore({ dataDir: dir });
    const profiles = await store.list();
    expect(profiles.map((p) => p.name)).toEqual(['Payroll']);
    expect(profiles[0]).not.toHaveProperty('jumpTransport');
    const [notice] = store.notices();
    expect(notice).toMatchObject({ kind: 'newer-version', level: 'warn' });
    expect(notice?.message).toMatch(/newer version of CredHop \(file version 3\)/);
    expect(notice?.details?.join('\n')).toMatch(/Profile 2/);
    expect(readFileSync(notice!.backupPath!, 'utf8')).toBe(text);
  });

  it('migrates a version 1 file, keeping ids that were UUIDs and a copy of the original', async () => {
    const v1 = {
      version: 1,
      profiles: [
        { id: '6F1C1B1E-2A5B-4C1D-9E2F-0123456789AB', name: 'Payroll', jumpServer: 'jump01.corp.contoso.com', target: 'fs01', account: 'CONTOSO\\hd1', targetAccount: '', probe: 'hostname' },
        { name: 'HR', jumpServer: 'jump02', target: 'hr01', account: 'hd1@contoso.com', targetAccount: 'CONTOSO\\hradmin', probe: 'Get-Date', timeBoxMinutes: 15, notes: 'old' },
      ],
    };
    writeFileSync(filePath(), JSON.stringify(v1));
    const now = new Date('2025-06-01T10:00:00.000Z');
    const store = new ProfileStore({ dataDir: dir, now: () => now });
    const profiles = await store.load();
    expect(profiles).toEqual([
      {
        id: '6f1c1b1e-2a5b-4c1d-9e2f-0123456789ab',
        name: 'Payroll',
        jumpServer: 'jump01.corp.contoso.com',
        jumpServerConnectAs: 'jump01.corp.contoso.com',
        target: 'fs01',
        jumpAccount: 'CONTOSO\\hd1',
        targetAccount: null,
        probeCommand: 'hostname',
        timeBoxMinutes: 60,
        notes: '',
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      },
      expect.objectContaining({ name: 'HR', jumpServerConnectAs: 'jump02', jumpAccount: 'hd1@contoso.com', targetAccount: 'CONTOSO\\hradmin', probeCommand: 'Get-Date', timeBoxMinutes: 15, notes: 'old' }),
    ]);
    expect(profiles[1]?.id).toMatch(/^[0-9a-f-]{36}$/);
    const [notice] = store.notices();
    expect(notice).toMatchObject({ kind: 'migrated', level: 'info' });
    expect(JSON.parse(readFileSync(notice!.backupPath!, 'utf8'))).toEqual(v1);
    expect(readDoc().schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    // The migration is done once: ids stay the same on the next start.
    const again = new ProfileStore({ dataDir: dir });
    expect((await again.load()).map((p) => p.id)).toEqual(profiles.map((p) => p.id));
    expect(again.notices()).toEqual([]);
  });

  it('loads the valid entries of a file edited wrongly by hand and lists what was wrong', async () => {
    const at = '2025-01-01T00:00:00.000Z';
    const id1 = '11111111-1111-4111-8111-111111111111';
    const doc = {
      format: 'credhop.profiles',
      schemaVersion: 2,
      profiles: [
        { ...fields(), id: id1, createdAt: at, updatedAt: at },
        { ...fields({ name: 'Wildcard', jumpServer: '*.contoso.com' }), id: '22222222-2222-4222-8222-222222222222', createdAt: at, updatedAt: at },
        { ...fields({ name: 'Same id' }), id: id1, createdAt: at, updatedAt: at },
        { ...fields({ name: 'payroll' }), id: '33333333-3333-4333-8333-333333333333', createdAt: at, updatedAt: at },
        { ...fields({ name: 'x'.repeat(100_000) }), id: '44444444-4444-4444-8444-444444444444', createdAt: at, updatedAt: at },
        { ...fields({ name: 'Bad time box', timeBoxMinutes: 100_000 }), id: '55555555-5555-4555-8555-555555555555', createdAt: at, updatedAt: at },
        'not even an object',
      ],
    };
    writeFileSync(filePath(), JSON.stringify(doc));
    const store = new ProfileStore({ dataDir: dir });
    const names = (await store.load()).map((p) => p.name);
    expect(names).toEqual(['Payroll', 'payroll (2)']);
    const [notice] = store.notices();
    expect(notice).toMatchObject({ kind: 'invalid-entries', level: 'warn' });
    const details = notice?.details?.join('\n') ?? '';
    expect(details).toMatch(/Profile 2 \("Wildcard"\): jumpServer: Wildcards/);
    expect(details).toMatch(/Profile 3 \("Same id"\): has the same id/);
    expect(details).toMatch(/renamed to "payroll \(2\)"/);
    expect(details).toMatch(/Profile 6 \("Bad time box"\): timeBoxMinutes/);
    expect(details).toMatch(/Profile 7: /);
    expect(details.length).toBeLessThan(5_000); // a hostile 100 kB name is not echoed back
    expect(JSON.parse(readFileSync(notice!.backupPath!, 'utf8'))).toEqual(doc);
  });

  it('accepts a byte-order mark from Notepad without complaint', async () => {
    const store = new ProfileStore({ dataDir: dir });
    await store.create(fields());
    writeFileSync(filePath(), `\ufeff${readFileSync(filePath(), 'utf8')}`);
    const again = new ProfileStore({ dataDir: dir });
    expect((await again.list()).length).toBe(1);
    expect(again.notices()).toEqual([]);
  });

  it('never touches a file it cannot read, and refuses changes until it can', async () => {
    mkdirSync(filePath()); // a folder where the file should be: reading fails with EISDIR
    const store = new ProfileStore({ dataDir: dir });
    expect(await store.list()).toEqual([]);
    expect(store.notices()[0]).toMatchObject({ kind: 'unreadable', level: 'error' });
    await expectAppError(store.create(fields()), 'refused', /will not change the profiles/);
    expect(statSync(filePath()).isDirectory()).toBe(true);
    expect(backups()).toEqual([]);
  });

  it('interprets without touching the disk', () => {
    const ctx = { now: '2025-01-01T00:00:00.000Z', newId: () => '99999999-9999-4999-8999-999999999999' };
    expect(interpretProfileFile('{"format":"credhop.profiles","schemaVersion":2,"profiles":[]}', ctx).status).toBe('ok');
    expect(interpretProfileFile('{"profiles":[]}', ctx).status).toBe('invalid-entries');
    expect(interpretProfileFile('{"version":1,"profiles":[]}', ctx).status).toBe('migrated');
    expect(interpretProfileFile('{"schemaVersion":99,"profiles":[]}', ctx).status).toBe('newer-version');
    expect(interpretProfileFile('', ctx).status).toBe('corrupt');
  });
});

function existsQuiet(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
