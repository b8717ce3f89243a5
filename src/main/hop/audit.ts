// The audit log: one JSON line per change attempted — when, who, which profile and host, what changed
// from what to what, and the outcome. Never a password: entries are built from fixed fields only.
//
// It is kept, and bounded: the live file `audit.jsonl` is rotated by renaming it to
// `audit-YYYY-MM.jsonl` (the month of its first entry; `.2`, `.3`, ... when a month fills more than one)
// when a new month starts or it would pass `maxBytes`. A rename is atomic, so at every instant each
// entry is in the live file or in exactly one rotated file; nothing is copied, so nothing is lost or
// doubled by a crash. Rotated files whose newest entry is older than the retention are deleted.
// Nothing reads the log but the export, so its size never slows a start or a status check.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { appendDurably, fsyncDir } from '../fs/durable';

export interface AuditEntry {
  at: string;
  /** The Windows account CredHop ran as on the client. */
  who: string;
  profile: string;
  host: string;
  action: string;
  from: string;
  to: string;
  outcome: 'ok' | 'failed' | 'skipped';
  session: string;
  detail?: string;
  /** The CredHop version that wrote the entry (the audit log outlives upgrades). */
  version?: string;
}

export const AUDIT_FILE_NAME = 'audit.jsonl';
export const DEFAULT_AUDIT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/** The points of a write that rotates, in order; a crash test stops the process right after each one. */
export const ROTATION_STEPS = ['renamed', 'dir-synced', 'appended', 'pruned'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface AuditLogOptions {
  /** The live file is rotated before it would pass this size. */
  maxBytes?: number;
  /** How long rotated files are kept, read at each rotation (the setting can change at runtime). */
  retentionDays?: () => number;
  now?: () => Date;
  /** Called right after each step of a rotating write (crash tests kill the process here). */
  afterRotationStep?: (step: RotationStep) => void;
  /** CredHop's version, written into every entry. */
  version?: string;
}

/** The line written for an entry: fixed fields only, so nothing else an entry carries can reach the file. Pure. */
export function auditLine(entry: AuditEntry): string {
  const clean: AuditEntry = {
    at: entry.at,
    who: entry.who,
    profile: entry.profile,
    host: entry.host,
    action: entry.action,
    from: entry.from,
    to: entry.to,
    outcome: entry.outcome,
    session: entry.session,
    ...(entry.detail ? { detail: entry.detail.slice(0, 500) } : {}),
    ...(entry.version ? { version: entry.version.slice(0, 40) } : {}),
  };
  return `${JSON.stringify(clean)}\n`;
}

/** 'YYYY-MM' of an ISO time stamp, or null. Pure. */
export function monthOf(at: string): string | null {
  return /^\d{4}-\d{2}/.exec(at)?.[0] ?? null;
}

/** Whether the live file must be rotated before a line is appended. Pure. */
export function rotationDue(live: { bytes: number; month: string | null }, line: { bytes: number; month: string | null }, maxBytes: number): boolean {
  if (live.bytes === 0) return false; // an empty file holds nothing to keep apart
  if (live.month !== null && line.month !== null && live.month !== line.month) return true;
  return live.bytes + line.bytes > maxBytes;
}

const ROTATED = /^audit-(\d{4}-\d{2})(?:\.(\d+))?\.jsonl$/;

/** Month and sequence of a rotated file's name, or null for any other file. Pure. */
export function parseRotatedName(name: string): { month: string; seq: number } | null {
  const m = ROTATED.exec(name);
  return m ? { month: m[1]!, seq: m[2] ? Number(m[2]) : 1 } : null;
}

/** The first free rotated name for a month: never an existing file, which a rename would overwrite. Pure. */
export function rotatedName(month: string, existing: readonly string[]): string {
  const taken = new Set(existing);
  for (let seq = 1; ; seq += 1) {
    const name = seq === 1 ? `audit-${month}.jsonl` : `audit-${month}.${seq}.jsonl`;
    if (!taken.has(name)) return name;
  }
}

/** Rotated files oldest first (by month, then sequence). Pure. */
export function rotatedInOrder(names: readonly string[]): string[] {
  return names
    .map((name) => ({ name, parsed: parseRotatedName(name) }))
    .filter((f): f is { name: string; parsed: { month: string; seq: number } } => f.parsed !== null)
    .sort((a, b) => a.parsed.month.localeCompare(b.parsed.month) || a.parsed.seq - b.parsed.seq)
    .map((f) => f.name);
}

/** Rotated files whose newest entry is older than the retention. Pure. */
export function expiredRotated(files: readonly { name: string; newest: Date }[], now: Date, retentionDays: number): string[] {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  return files.filter((f) => f.newest.getTime() < cutoff).map((f) => f.name);
}

export class AuditLog {
  readonly file: string;
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly retentionDays: () => number;
  private readonly now: () => Date;
  private readonly afterRotationStep: (step: RotationStep) => void;
  private readonly version: string | undefined;
  /** The live file's month, cached per file (inode) so a write does not re-read it. */
  private liveMonth: { ino: number; month: string | null } | null = null;

  constructor(dataDir: string, options: AuditLogOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.dir = dataDir;
    this.file = join(dataDir, AUDIT_FILE_NAME);
    this.maxBytes = options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.retentionDays = options.retentionDays ?? (() => DEFAULT_AUDIT_RETENTION_DAYS);
    this.now = options.now ?? (() => new Date());
    this.afterRotationStep = options.afterRotationStep ?? (() => undefined);
    this.version = options.version;
  }

  /** Appends one entry and flushes it to disk, rotating the live file first when a month ends or it is full. */
  write(entry: AuditEntry): void {
    const line = auditLine(this.version ? { ...entry, version: this.version } : entry);
    const lineInfo = { bytes: Buffer.byteLength(line), month: monthOf(entry.at) ?? monthOf(this.now().toISOString()) };
    const rotated = this.rotateIfDue(lineInfo);
    appendDurably(this.file, line);
    if (rotated) {
      this.afterRotationStep('appended');
      this.prune();
      this.afterRotationStep('pruned');
    }
  }

  /** Every entry kept, oldest first: the rotated files, then the live file (JSON lines, for export). */
  export(): string {
    const parts = this.rotatedFiles().map((name) => readFileSync(join(this.dir, name), 'utf8'));
    if (existsSync(this.file)) parts.push(readFileSync(this.file, 'utf8'));
    return parts.join('');
  }

  /** The files holding the log, oldest first (rotated, then the live one if present). */
  files(): string[] {
    return [...this.rotatedFiles().map((name) => join(this.dir, name)), ...(existsSync(this.file) ? [this.file] : [])];
  }

  private rotatedFiles(): string[] {
    return rotatedInOrder(readdirSync(this.dir));
  }

  private rotateIfDue(line: { bytes: number; month: string | null }): boolean {
    let stat;
    try {
      stat = statSync(this.file);
    } catch {
      return false; // no live file yet
    }
    const month = this.monthOfLive(stat.ino);
    if (!rotationDue({ bytes: stat.size, month }, line, this.maxBytes)) return false;
    const target = rotatedName(month ?? line.month ?? monthOf(this.now().toISOString())!, readdirSync(this.dir));
    renameSync(this.file, join(this.dir, target));
    this.afterRotationStep('renamed');
    fsyncDir(this.dir);
    this.afterRotationStep('dir-synced');
    this.liveMonth = null;
    return true;
  }

  private monthOfLive(ino: number): string | null {
    if (this.liveMonth?.ino === ino && this.liveMonth.month !== null) return this.liveMonth.month;
    const month = readEdgeEntryAt(this.file, 'first');
    this.liveMonth = { ino, month: month ? monthOf(month) : null };
    return this.liveMonth.month;
  }

  /** Deletes rotated files past the retention; a file whose dates cannot be read is kept. */
  private prune(): void {
    const files: { name: string; newest: Date }[] = [];
    for (const name of this.rotatedFiles()) {
      const at = readEdgeEntryAt(join(this.dir, name), 'last');
      const newest = at ? new Date(at) : null;
      if (newest && !Number.isNaN(newest.getTime())) files.push({ name, newest });
    }
    for (const name of expiredRotated(files, this.now(), this.retentionDays())) {
      unlinkSync(join(this.dir, name));
    }
  }
}

/** The `at` of a file's first or last complete entry, reading only its head or tail. */
function readEdgeEntryAt(path: string, edge: 'first' | 'last'): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, edge === 'first' ? 0 : size - length);
    const lines = buffer.toString('utf8').split('\n');
    const ordered = edge === 'first' ? lines : lines.reverse();
    for (const l of ordered) {
      try {
        const at = (JSON.parse(l) as { at?: unknown }).at;
        if (typeof at === 'string') return at;
      } catch {
        // a partial line at the edge of the window, or a torn last line: try the next one
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
