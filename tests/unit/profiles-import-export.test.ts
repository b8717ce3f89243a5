import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/main/errors';
import {
  EXPORT_FORMAT,
  exportProfiles,
  exportProfilesToFile,
  importProfiles,
  importProfilesFromFile,
  parseImport,
} from '../../src/main/profiles/import-export';
import { ProfileStore } from '../../src/main/profiles/store';
import type { HopProfileFields } from '../../src/shared/domain/profile';

function fields(overrides: Partial<HopProfileFields> = {}): HopProfileFields {
  return {
    name: 'Payroll',
    jumpServer: 'jump01',
    jumpServerConnectAs: 'jump01.corp.contoso.com',
    target: 'fs01.corp.contoso.com',
    jumpAccount: 'CONTOSO\\helpdesk1',
    targetAccount: 'CONTOSO\\fsadmin',
    probeCommand: 'Get-ChildItem \\\\fs01\\payroll',
    timeBoxMinutes: 45,
    notes: 'ticket 4711',
    ...overrides,
  };
}

let dir: string;
let store: ProfileStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credhop-import-'));
  store = new ProfileStore({ dataDir: join(dir, 'data') });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function exportDoc(profiles: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ format: EXPORT_FORMAT, schemaVersion: 2, exportedAt: '2025-01-01T00:00:00.000Z', profiles, ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('export', () => {
  it('writes the editable fields only: no ids, no timestamps, nothing secret', async () => {
    const a = await store.create(fields());
    await store.create(fields({ name: 'HR', targetAccount: null }));
    const { content, count, suggestedFileName } = await exportProfiles(store, undefined, { now: () => new Date('2025-03-04T05:06:07Z') });
    expect(count).toBe(2);
    expect(suggestedFileName).toBe('credhop-profiles-2025-03-04.json');
    const doc = JSON.parse(content) as { format: string; schemaVersion: number; profiles: Array<Record<string, unknown>> };
    expect(doc.format).toBe(EXPORT_FORMAT);
    expect(doc.schemaVersion).toBe(2);
    expect(Object.keys(doc.profiles[1]!).sort()).toEqual(
      ['jumpAccount', 'jumpServer', 'jumpServerConnectAs', 'name', 'notes', 'probeCommand', 'target', 'targetAccount', 'timeBoxMinutes'].sort(),
    );
    expect(content).not.toContain(a.id);
    expect(content).not.toMatch(/password|secret/i);
  });

  it('exports a chosen subset and refuses ids that do not exist', async () => {
    const a = await store.create(fields());
    await store.create(fields({ name: 'HR' }));
    expect((await exportProfiles(store, [a.id])).count).toBe(1);
    const error = await refusal(exportProfiles(store, [a.id, '00000000-0000-4000-8000-000000000000']));
    expect(error.code).toBe('not-found');
  });

  it('round-trips through a file for the CLI, refusing to replace a file unless told to', async () => {
    await store.create(fields());
    await store.create(fields({ name: 'HR', targetAccount: null }));
    const file = join(dir, 'out.json');
    expect(await exportProfilesToFile(store, file)).toEqual({ path: file, count: 2 });
    expect((await refusal(exportProfilesToFile(store, file))).code).toBe('conflict');
    await exportProfilesToFile(store, file, { overwrite: true });

    const other = new ProfileStore({ dataDir: join(dir, 'other') });
    const result = await importProfilesFromFile(other, file);
    expect(result.items.map((i) => i.action)).toEqual(['added', 'added']);
    const before = (await store.list()).map(({ id: _id, createdAt: _c, updatedAt: _u, ...rest }) => rest);
    const after = (await other.list()).map(({ id: _id, createdAt: _c, updatedAt: _u, ...rest }) => rest);
    expect(after).toEqual(before);
    expect((await refusal(importProfilesFromFile(other, join(dir, 'missing.json')))).code).toBe('not-found');
  });
});

describe('import conflicts', () => {
  it('keep both: the imported profile gets a free name and a new id', async () => {
    const existing = await store.create(fields());
    const result = await importProfiles(store, exportDoc([fields({ notes: 'imported' })]), { onConflict: 'keep-both' });
    expect(result.items).toEqual([{ sourceName: 'Payroll', action: 'kept-both', name: 'Payroll (2)', id: expect.any(String), conflict: true }]);
    const list = await store.list();
    expect(list.map((p) => p.name)).toEqual(['Payroll', 'Payroll (2)']);
    expect(list.find((p) => p.name === 'Payroll')).toEqual(existing);
    expect(result.items[0]?.id).not.toBe(existing.id);
  });

  it('replace: the existing profile takes the imported fields and keeps its id and creation time', async () => {
    const existing = await store.create(fields());
    const result = await importProfiles(store, exportDoc([fields({ name: 'payroll', target: 'fs02', jumpAccount: 'CONTOSO\\hd2' })]), { onConflict: 'replace' });
    expect(result.items[0]).toMatchObject({ action: 'replaced', id: existing.id, conflict: true });
    expect(result.replaced).toHaveLength(1);
    expect(result.replaced[0]?.before.jumpAccount).toBe('CONTOSO\\helpdesk1');
    const [only] = await store.list();
    expect(only).toMatchObject({ id: existing.id, createdAt: existing.createdAt, name: 'payroll', target: 'fs02' });
  });

  it('skip: the existing profile stays as it is and nothing is written', async () => {
    const existing = await store.create(fields());
    const before = readFileSync(store.filePath, 'utf8');
    const result = await importProfiles(store, exportDoc([fields({ target: 'fs02' })]), { onConflict: 'skip' });
    expect(result.items).toEqual([{ sourceName: 'Payroll', action: 'skipped', conflict: true }]);
    expect(await store.list()).toEqual([existing]);
    expect(readFileSync(store.filePath, 'utf8')).toBe(before);
  });

  it('applies per-name decisions over the default, and adds profiles without a conflict', async () => {
    await store.create(fields({ name: 'A' }));
    await store.create(fields({ name: 'B' }));
    const result = await importProfiles(store, exportDoc([fields({ name: 'A' }), fields({ name: 'B' }), fields({ name: 'C' })]), {
      onConflict: 'skip',
      decisions: { b: 'keep-both' },
    });
    expect(result.items.map((i) => `${i.sourceName}:${i.action}:${i.name ?? ''}`)).toEqual(['A:skipped:', 'B:kept-both:B (2)', 'C:added:C']);
  });

  it('a dry run reports conflicts without changing anything', async () => {
    await store.create(fields());
    const before = readFileSync(store.filePath, 'utf8');
    const result = await importProfiles(store, exportDoc([fields(), fields({ name: 'New' })]), { dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.items.map((i) => [i.sourceName, i.conflict])).toEqual([
      ['Payroll', true],
      ['New', false],
    ]);
    expect(readFileSync(store.filePath, 'utf8')).toBe(before);
  });

  it('resolves duplicates inside the imported file too', async () => {
    const result = await importProfiles(store, exportDoc([fields(), fields()]), { onConflict: 'keep-both' });
    expect(result.items.map((i) => i.name)).toEqual(['Payroll', 'Payroll (2)']);
  });
});

describe('import validation', () => {
  const ctx = { now: '2025-01-01T00:00:00.000Z', newId: () => '99999999-9999-4999-8999-999999999999' };

  it.each([
    ['not JSON', 'this is not json', /not valid JSON/],
    ['a JSON string', '"hello"', /no list of profiles/],
    ['another format', JSON.stringify({ format: 'keepass', profiles: [] }), /says it is something else/],
    ['profiles that is not a list', JSON.stringify({ format: EXPORT_FORMAT, schemaVersion: 2, profiles: {} }), /no list of profiles/],
    ['a file over 1 MB', `{"profiles":[],"pad":"${'x'.repeat(1_100_000)}"}`, /larger than 1 MB/],
  ])('refuses %s with a plain message', (_label, content, message) => {
    let error: unknown;
    try {
      parseImport(content, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('refused');
    expect((error as AppError).message).toMatch(message);
  });

  it('imports the valid entries and reports each invalid one with its problems', () => {
    const parsed = parseImport(
      exportDoc([
        fields(),
        fields({ name: 'Wild', jumpServer: '*' }),
        { ...fields({ name: 'Types' }), timeBoxMinutes: '60' },
        fields({ name: 'Bare', jumpAccount: 'jdoe' }),
        fields({ name: 'Nul', probeCommand: 'Get-Date\u0000' }),
        { name: 'Missing everything' },
        42,
      ]),
      ctx,
    );
    expect(parsed.entries.map((e) => e.fields.name)).toEqual(['Payroll']);
    expect(parsed.invalid.map((i) => [i.index, i.name])).toEqual([
      [1, 'Wild'],
      [2, 'Types'],
      [3, 'Bare'],
      [4, 'Nul'],
      [5, 'Missing everything'],
      [6, undefined],
    ]);
    expect(parsed.invalid[0]?.problems[0]).toMatch(/^jumpServer: Wildcards/);
    expect(parsed.invalid[3]?.problems[0]).toMatch(/^probeCommand: .*NUL/);
  });

  it('never imports a secret: secret-looking fields are dropped and reported without their value', () => {
    const parsed = parseImport(exportDoc([{ ...fields(), password: 'Hunter2!-imported', credential: { pw: 'x' } }], { token: 'abc' }), ctx);
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.entries[0]?.fields).not.toHaveProperty('password');
    expect(JSON.stringify(parsed)).not.toContain('Hunter2!-imported');
    expect(parsed.warnings.join('\n')).toMatch(/never imports passwords/);
    expect(parsed.warnings.join('\n')).toMatch(/"password", "credential"/);
  });

  it('reads version 1 files and newer files, saying what it did', () => {
    const v1 = parseImport(JSON.stringify({ version: 1, profiles: [{ name: 'Old', jumpServer: 'jump01', target: 'fs01', account: 'CONTOSO\\a', probe: 'hostname' }] }), ctx);
    expect(v1.entries[0]?.fields).toMatchObject({ name: 'Old', jumpServerConnectAs: 'jump01', jumpAccount: 'CONTOSO\\a', probeCommand: 'hostname', timeBoxMinutes: 60 });
    const newer = parseImport(exportDoc([{ ...fields(), futureField: true }], { schemaVersion: 7 }), ctx);
    expect(newer.entries).toHaveLength(1);
    expect(newer.warnings[0]).toMatch(/newer version of CredHop \(version 7\)/);
    const unversioned = parseImport(JSON.stringify({ profiles: [fields()] }), ctx);
    expect(unversioned.warnings[0]).toMatch(/does not say which version/);
  });

  it('accepts a copy of the profile file itself (ids and timestamps are ignored)', async () => {
    await store.create(fields());
    const other = new ProfileStore({ dataDir: join(dir, 'other') });
    const file = join(dir, 'copy.json');
    writeFileSync(file, readFileSync(store.filePath));
    const result = await importProfilesFromFile(other, file);
    expect(result.items[0]?.action).toBe('added');
    expect(result.items[0]?.id).not.toBe((await store.list())[0]?.id);
  });
});
