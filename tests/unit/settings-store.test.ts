import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, labFilePathSchema, settingsContract } from '../../src/shared/contract/settings';
import { interpretSettings, serializeSettings, SETTINGS_FILE_NAME, SettingsStore } from '../../src/main/settings/store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credhop-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('settings store', () => {
  it('starts from the defaults when there is no file', () => {
    const store = new SettingsStore(dir);
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    expect(store.notice).toBeUndefined();
    expect(existsSync(store.filePath)).toBe(false);
  });

  it('saves atomically and a new store reads the same values back', async () => {
    const store = new SettingsStore(dir);
    await store.update({ defaultTimeBoxMinutes: 15, practiceMode: true });
    expect(readdirSync(dir)).toEqual([SETTINGS_FILE_NAME]); // no temp file left behind
    const again = new SettingsStore(dir);
    expect(again.get()).toEqual({ ...DEFAULT_SETTINGS, defaultTimeBoxMinutes: 15, practiceMode: true });
  });

  it('serialises concurrent updates so none is lost', async () => {
    const store = new SettingsStore(dir);
    await Promise.all([store.update({ defaultTimeBoxMinutes: 20 }), store.update({ practiceLabFile: '/labs/a.json' })]);
    expect(new SettingsStore(dir).get()).toMatchObject({ defaultTimeBoxMinutes: 20, practiceLabFile: '/labs/a.json' });
  });

  it('refuses a time box outside 1..480 minutes without writing', async () => {
    const store = new SettingsStore(dir);
    await expect(store.update({ defaultTimeBoxMinutes: 0 })).rejects.toThrow();
    await expect(store.update({ defaultTimeBoxMinutes: 481 })).rejects.toThrow();
    expect(existsSync(store.filePath)).toBe(false);
  });

  it('keeps a corrupt file aside, reports it and uses the defaults', () => {
    writeFileSync(join(dir, SETTINGS_FILE_NAME), '{ not json');
    const store = new SettingsStore(dir);
    expect(store.get()).toEqual(DEFAULT_SETTINGS);
    expect(store.notice).toMatch(/not valid JSON/);
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${SETTINGS_FILE_NAME}.invalid-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe('{ not json');
  });

  it('keeps the valid fields of a partly invalid file', () => {
    const result = interpretSettings(JSON.stringify({ settings: { defaultTimeBoxMinutes: 9999, practiceMode: true } }));
    expect(result.settings).toEqual({ ...DEFAULT_SETTINGS, practiceMode: true });
    expect(result.notice).toMatch(/defaultTimeBoxMinutes/);
  });

  it('keeps the audit log a year unless told otherwise, saves a new retention and refuses one out of range', async () => {
    const store = new SettingsStore(dir);
    expect(store.get().auditRetentionDays).toBe(365);
    await store.update({ auditRetentionDays: 90 });
    expect(new SettingsStore(dir).get().auditRetentionDays).toBe(90);
    await expect(store.update({ auditRetentionDays: 0 })).rejects.toThrow();
    expect(new SettingsStore(dir).get().auditRetentionDays).toBe(90);
    // A file from an older CredHop has no such field: the default applies, no notice.
    expect(interpretSettings(JSON.stringify({ settings: { practiceMode: true } }))).toEqual({ settings: { ...DEFAULT_SETTINGS, practiceMode: true } });
    expect(interpretSettings(JSON.stringify({ settings: { auditRetentionDays: -5 } })).notice).toMatch(/auditRetentionDays/);
  });

  it('round-trips through its own serialisation', () => {
    const s = { defaultTimeBoxMinutes: 30, practiceLabFile: 'C:\\Labs\\x.json', practiceMode: false, auditRetentionDays: 90 };
    expect(interpretSettings(serializeSettings(s))).toEqual({ settings: s });
  });
});

describe('settings contract', () => {
  it('accepts absolute .json lab paths only', () => {
    expect(labFilePathSchema.safeParse('/home/me/lab.json').success).toBe(true);
    expect(labFilePathSchema.safeParse('C:\\Labs\\lab.json').success).toBe(true);
    expect(labFilePathSchema.safeParse('').success).toBe(true);
    expect(labFilePathSchema.safeParse('lab.json').success).toBe(false);
    expect(labFilePathSchema.safeParse('/etc/passwd').success).toBe(false);
    expect(labFilePathSchema.safeParse('/tmp/a\nb.json').success).toBe(false);
  });

  it('rejects unknown fields in a save request', () => {
    expect(settingsContract.settingsSave.request.safeParse({ powershellPath: '/x' }).success).toBe(false);
  });
});
