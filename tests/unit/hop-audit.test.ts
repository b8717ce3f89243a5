// The audit log over a year: rotated by month and by size into dated files, all of them exported, old
// ones deleted after the retention, nothing lost or doubled, never a password.
import { mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, expiredRotated, rotatedInOrder, rotatedName, rotationDue, type AuditEntry } from '../../src/main/hop/audit';
import { settingsContract, settingsSchema, DEFAULT_SETTINGS } from '../../src/shared/contract/settings';

function entry(at: string, n: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return { at, who: 'COMPANY\\Administrator', profile: 'Lab', host: 'DC1', action: `change ${n}`, from: 'false', to: 'true', outcome: 'ok', session: `s${n}`, ...extra };
}

function exported(log: AuditLog): string[] {
  return log.export().trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEntry).action);
}

function fresh(options: ConstructorParameters<typeof AuditLog>[1] = {}): AuditLog {
  return new AuditLog(mkdtempSync(join(tmpdir(), 'credhop-audit-')), options);
}

describe('audit log rotation', () => {
  it('writes CredHop\'s version into every entry (the log outlives upgrades)', () => {
    const log = fresh({ version: '9.8.7' });
    log.write(entry('2026-11-01T10:00:00.000Z', 1));
    log.write(entry('2026-11-01T10:01:00.000Z', 2));
    const lines = log.export().trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((l) => l.version)).toEqual(['9.8.7', '9.8.7']);
  });

  it('starts a new file each month and the export still has every entry, oldest first', () => {
    let now = new Date('2026-10-15T10:00:00Z');
    const log = fresh({ now: () => now });
    log.write(entry('2026-10-15T10:00:00Z', 1));
    log.write(entry('2026-10-30T10:00:00Z', 2));
    now = new Date('2026-11-02T09:00:00Z');
    log.write(entry('2026-11-02T09:00:00Z', 3));
    now = new Date('2026-12-01T09:00:00Z');
    log.write(entry('2026-12-01T09:00:00Z', 4));
    expect(readdirSync(log.dir).sort()).toEqual(['audit-2026-10.jsonl', 'audit-2026-11.jsonl', 'audit.jsonl']);
    expect(exported(log)).toEqual(['change 1', 'change 2', 'change 3', 'change 4']);
  });

  it('starts a new file when the live one would pass its size, numbering files within a month', () => {
    const log = fresh({ maxBytes: 600, now: () => new Date('2026-11-20T00:00:00Z') });
    for (let i = 1; i <= 12; i += 1) log.write(entry('2026-11-20T00:00:00Z', i));
    const files = readdirSync(log.dir);
    expect(files).toContain('audit-2026-11.jsonl');
    expect(files).toContain('audit-2026-11.2.jsonl');
    for (const f of files) expect(statSync(join(log.dir, f)).size).toBeLessThanOrEqual(600);
    expect(exported(log)).toEqual(Array.from({ length: 12 }, (_, i) => `change ${i + 1}`));
  });

  it('deletes rotated files older than the retention, keeping the rest', () => {
    let now = new Date('2025-09-10T00:00:00Z');
    let days = 365;
    const log = fresh({ now: () => now, retentionDays: () => days });
    for (const at of ['2025-09-10', '2025-10-10', '2026-08-10', '2026-09-10', '2026-10-10']) {
      now = new Date(`${at}T00:00:00Z`);
      log.write(entry(now.toISOString(), Number(at.slice(5, 7))));
    }
    // Rotating on 2026-10-10 removed September 2025 (older than a year), not October 2025.
    expect(rotatedInOrder(readdirSync(log.dir))).toEqual(['audit-2025-10.jsonl', 'audit-2026-08.jsonl', 'audit-2026-09.jsonl']);
    days = 30; // a shorter setting applies at the next rotation: the 2026-10-10 entry is 26 days old
    now = new Date('2026-11-05T00:00:00Z');
    log.write(entry(now.toISOString(), 11));
    expect(rotatedInOrder(readdirSync(log.dir))).toEqual(['audit-2026-10.jsonl']);
    expect(exported(log)).toEqual(['change 10', 'change 11']);
  });

  it('never renames over a rotated file already there (a file restored by hand, or a clock set back)', () => {
    expect(rotatedName('2026-11', ['audit-2026-11.jsonl', 'audit-2026-11.2.jsonl'])).toBe('audit-2026-11.3.jsonl');
    const now = new Date('2026-11-20T00:00:00Z');
    const log = fresh({ maxBytes: 300, now: () => now });
    writeFileSync(join(log.dir, 'audit-2026-11.jsonl'), `${JSON.stringify(entry('2026-11-01T00:00:00Z', 0))}\n`);
    log.write(entry('2026-11-20T00:00:00Z', 1));
    log.write(entry('2026-11-20T00:00:00Z', 2));
    expect(exported(log)).toEqual(['change 0', 'change 1', 'change 2']);
  });

  it('writes owner-only files and never a field outside the fixed ones (a password cannot ride along)', () => {
    const log = fresh({ maxBytes: 300 });
    const sneaky = { ...entry('2026-11-20T00:00:00Z', 1), password: 'Hunter2!' } as AuditEntry;
    log.write(sneaky);
    log.write(sneaky);
    expect(log.export()).not.toContain('Hunter2!');
    for (const f of log.files()) expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('decides rotation and expiry by rules a reader can check', () => {
    expect(rotationDue({ bytes: 0, month: null }, { bytes: 10, month: '2026-11' }, 100)).toBe(false);
    expect(rotationDue({ bytes: 50, month: '2026-10' }, { bytes: 10, month: '2026-11' }, 100)).toBe(true);
    expect(rotationDue({ bytes: 95, month: '2026-11' }, { bytes: 10, month: '2026-11' }, 100)).toBe(true);
    expect(rotationDue({ bytes: 90, month: '2026-11' }, { bytes: 10, month: '2026-11' }, 100)).toBe(false);
    expect(rotatedInOrder(['audit.jsonl', 'audit-2026-11.10.jsonl', 'audit-2026-11.2.jsonl', 'audit-2025-12.jsonl', 'audit-2026-11.jsonl', 'notes.txt']))
      .toEqual(['audit-2025-12.jsonl', 'audit-2026-11.jsonl', 'audit-2026-11.2.jsonl', 'audit-2026-11.10.jsonl']);
    const now = new Date('2026-11-30T00:00:00Z');
    expect(expiredRotated([{ name: 'old', newest: new Date('2025-11-29T00:00:00Z') }, { name: 'new', newest: new Date('2025-12-01T00:00:00Z') }], now, 365)).toEqual(['old']);
  });

  it('keeps a rotated file whose dates cannot be read rather than guess', () => {
    const now = new Date('2026-11-20T00:00:00Z');
    const log = fresh({ maxBytes: 300, now: () => now, retentionDays: () => 30 });
    const odd = join(log.dir, 'audit-2020-01.jsonl');
    writeFileSync(odd, 'not json\n');
    utimesSync(odd, new Date('2020-01-01'), new Date('2020-01-01'));
    log.write(entry(now.toISOString(), 1));
    log.write(entry(now.toISOString(), 2));
    expect(readdirSync(log.dir)).toContain('audit-2020-01.jsonl');
  });
});

describe('the audit retention setting', () => {
  it('defaults to a year and accepts 30 days to 10 years in whole days', () => {
    expect(DEFAULT_SETTINGS.auditRetentionDays).toBe(365);
    const save = settingsContract.settingsSave.request;
    expect(save.safeParse({ auditRetentionDays: 90 }).success).toBe(true);
    expect(save.safeParse({ auditRetentionDays: 29 }).success).toBe(false);
    expect(save.safeParse({ auditRetentionDays: 3651 }).success).toBe(false);
    expect(save.safeParse({ auditRetentionDays: 90.5 }).success).toBe(false);
    expect(settingsSchema.shape.auditRetentionDays.safeParse('365').success).toBe(false);
  });
});
