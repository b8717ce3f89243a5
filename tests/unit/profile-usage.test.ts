// Each profile's last use and last verified hop, kept across runs in usage.json: what survives a restart,
// what is forgotten (ad-hoc hosts, deleted profiles), and what a damaged file or a failed write does.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileUsageStore, USAGE_FILE_NAME, type UsageLogEvent } from '../../src/main/profiles/usage';

const A = '0b8f3a52-5d1e-4c1a-9c1e-0a4c2b7d9e01';
const B = '7e2d9c41-1f0b-4a6e-8d3c-5b9a1e2f4c02';

let dir: string;
let ids: string[];
let logs: UsageLogEvent[];
let clock: Date;
const store = (extra: Partial<ConstructorParameters<typeof ProfileUsageStore>[0]> = {}) =>
  new ProfileUsageStore({ dir, profileIds: async () => ids, now: () => clock, log: (e) => logs.push(e), ...extra });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credhop-usage-'));
  ids = [A, B];
  logs = [];
  clock = new Date('2026-12-07T09:12:00.000Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('profile usage', () => {
  it('keeps the last use and the last verified hop across runs; a later use keeps the verified time', async () => {
    expect(await store().read()).toEqual({});
    await store().record(A, true);
    clock = new Date('2026-12-07T10:00:00.000Z');
    await store().record(A, false);
    await store().record(B.toUpperCase(), false);
    expect(await store().read()).toEqual({
      [A]: { lastUsedAt: '2026-12-07T10:00:00.000Z', lastVerifiedAt: '2026-12-07T09:12:00.000Z' },
      [B]: { lastUsedAt: '2026-12-07T10:00:00.000Z' },
    });
    expect(readdirSync(dir)).toEqual([USAGE_FILE_NAME]); // written atomically: no temp file left
    const text = readFileSync(join(dir, USAGE_FILE_NAME), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ version: 1 });
    expect(text).not.toMatch(/adfs1|company|Administrator/i); // ids and times only
  });

  it('keeps nothing for hosts given by hand, and forgets a deleted profile at the next write', async () => {
    await store().record('command-line', true);
    expect(existsSync(join(dir, USAGE_FILE_NAME))).toBe(false);
    await store().record(A, true);
    await store().record(B, true);
    ids = [B]; // A was deleted (in the app or by the command line)
    await store().record(B, false);
    expect(Object.keys(await store().read())).toEqual([B]);
    await store().record(A, true); // a test still running for a profile deleted meanwhile is not kept
    expect(Object.keys(await store().read())).toEqual([B]);
  });

  it('serialises records made at once, so none is lost', async () => {
    const s = store();
    await Promise.all([s.record(A, true), s.record(B, false)]);
    expect(Object.keys(await store().read()).sort()).toEqual([A, B].sort());
  });

  it('reads a damaged file as empty, says so in the log once, and the next record replaces it; the profiles file is not touched', async () => {
    writeFileSync(join(dir, 'profiles.json'), 'the profiles');
    writeFileSync(join(dir, USAGE_FILE_NAME), '{"version":1,"profiles":{');
    const s = store();
    expect(await s.read()).toEqual({});
    expect(await s.read()).toEqual({});
    expect(logs).toEqual([{ event: 'usage-file-unreadable', code: 'not-json' }]);
    await s.record(A, true);
    expect(Object.keys(await s.read())).toEqual([A]);
    expect(readFileSync(join(dir, 'profiles.json'), 'utf8')).toBe('the profiles');
  });

  it('keeps the valid entries of a file with invalid ones, and reads a newer version as empty', async () => {
    writeFileSync(join(dir, USAGE_FILE_NAME), JSON.stringify({ version: 1, profiles: { [A]: { lastVerifiedAt: 'yesterday' }, [B]: { lastUsedAt: '2026-12-06T08:00:00.000Z' }, nope: {} } }));
    expect(await store().read()).toEqual({ [B]: { lastUsedAt: '2026-12-06T08:00:00.000Z' } });
    expect(logs).toEqual([{ event: 'usage-file-unreadable', code: 'invalid-entries' }]);
    writeFileSync(join(dir, USAGE_FILE_NAME), JSON.stringify({ version: 2, profiles: {} }));
    expect(await store().read()).toEqual({});
  });

  it('a write that fails before the rename leaves the old file whole, removes its temp file, and never fails the caller', async () => {
    await store().record(A, true);
    const before = readFileSync(join(dir, USAGE_FILE_NAME), 'utf8');
    clock = new Date('2026-12-07T11:00:00.000Z');
    const failing = store({ hooks: { beforeRename: () => { throw Object.assign(new Error('disk full'), { code: 'ENOSPC' }); } } });
    await expect(failing.record(B, true)).resolves.toBeUndefined();
    expect(readFileSync(join(dir, USAGE_FILE_NAME), 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual([USAGE_FILE_NAME]);
    expect(logs).toEqual([{ event: 'usage-save-failed', code: 'ENOSPC' }]);
  });

  it('a profile store that cannot answer keeps the file as it is', async () => {
    await store().record(A, true);
    const before = readFileSync(join(dir, USAGE_FILE_NAME), 'utf8');
    await store({ profileIds: () => Promise.reject(new Error('locked')) }).record(A, true);
    expect(readFileSync(join(dir, USAGE_FILE_NAME), 'utf8')).toBe(before);
  });
});
