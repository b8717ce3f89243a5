// The profile file: one versioned JSON document in the data folder, written atomically
// (temp file + fsync + rename + directory fsync), migrated from older versions, and recovered from
// damage without ever losing what was there: a file that cannot be read as it is gets copied aside
// as a backup first, the user is told, and the profiles that can be read are loaded.
//
// Every operation re-reads the file under an in-process lock, so the app and the command line
// working on the same folder see each other's changes (the last writer of one operation wins).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../errors';
import type { StoreNotice } from '../../shared/contract/profiles';
import {
  hopProfileSchema,
  PROFILE_LIMITS,
  profileMatches,
  sameProfileName,
  type HopProfile,
  type HopProfileFields,
} from '../../shared/domain/profile';

export const PROFILE_FILE_NAME = 'profiles.json';
export const PROFILE_FILE_FORMAT = 'credhop.profiles';
export const CURRENT_SCHEMA_VERSION = 2;
/** A profile file larger than this is not one CredHop wrote; it is treated as damaged. */
export const MAX_PROFILE_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Version history of the file:
 *  1 — the 0.0.x prototype: `{ version: 1, profiles: [{ id?, name, jumpServer, target, account,
 *      targetAccount?, probe, timeBoxMinutes?, notes? }] }`, no separate connect name, no timestamps.
 *  2 — `{ format: "credhop.profiles", schemaVersion: 2, savedAt, profiles: HopProfile[] }`.
 */
export interface ProfileFileV2 {
  format: typeof PROFILE_FILE_FORMAT;
  schemaVersion: 2;
  savedAt: string;
  profiles: HopProfile[];
}

export interface MigrationContext {
  now: string;
  newId: () => string;
}

type EntryMigration = (entry: unknown, ctx: MigrationContext) => unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** ENTRY_MIGRATIONS[n] turns a version-n profile entry into a version-(n+1) entry. */
export const ENTRY_MIGRATIONS: Record<number, EntryMigration> = {
  1: (entry, ctx) => {
    if (!isRecord(entry)) return entry;
    const targetAccount = entry['targetAccount'];
    return {
      id: typeof entry['id'] === 'string' && UUID.test(entry['id']) ? entry['id'].toLowerCase() : ctx.newId(),
      name: entry['name'],
      jumpServer: entry['jumpServer'],
      jumpServerConnectAs: entry['jumpServer'],
      target: entry['target'],
      jumpAccount: entry['account'],
      targetAccount: targetAccount === undefined || targetAccount === null || targetAccount === '' ? null : targetAccount,
      probeCommand: entry['probe'],
      timeBoxMinutes: entry['timeBoxMinutes'] ?? PROFILE_LIMITS.timeBoxDefault,
      notes: entry['notes'] ?? '',
      createdAt: ctx.now,
      updatedAt: ctx.now,
    };
  },
};

/** Brings one entry from `fromVersion` to the current version. */
export function migrateEntry(entry: unknown, fromVersion: number, ctx: MigrationContext): unknown {
  let current = entry;
  for (let v = fromVersion; v < CURRENT_SCHEMA_VERSION; v++) {
    const step = ENTRY_MIGRATIONS[v];
    if (step === undefined) throw new Error(`no migration from profile file version ${v}`);
    current = step(current, ctx);
  }
  return current;
}

/** The version a parsed document declares, or null when it declares none. */
export function declaredVersion(doc: Record<string, unknown>): number | null {
  const v = doc['schemaVersion'] ?? doc['version'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null;
}

function describeEntry(index: number, entry: unknown): string {
  const name = isRecord(entry) && typeof entry['name'] === 'string' ? ` ("${entry['name'].slice(0, 80)}")` : '';
  return `Profile ${index + 1}${name}`;
}

function issuesOf(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }): string[] {
  return error.issues.slice(0, 5).map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));
}

export interface Interpretation {
  profiles: HopProfile[];
  /** ok: use as is. migrated: older version, upgraded. The rest: the file needs a backup. */
  status: 'ok' | 'migrated' | 'corrupt' | 'newer-version' | 'invalid-entries';
  fromVersion: number | null;
  /** Per-entry problems and repairs, in plain words. */
  details: string[];
}

/**
 * Reads the text of a profile file, whatever state it is in, without touching the disk.
 * Profiles that validate are kept; the rest are described in `details`.
 */
export function interpretProfileFile(text: string, ctx: MigrationContext): Interpretation {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // Notepad's BOM is not damage
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { profiles: [], status: 'corrupt', fromVersion: null, details: ['The file is not valid JSON.'] };
  }
  if (!isRecord(doc) || !Array.isArray(doc['profiles'])) {
    return { profiles: [], status: 'corrupt', fromVersion: null, details: ['The file does not contain a list of profiles.'] };
  }
  const version = declaredVersion(doc);
  const entries = doc['profiles'] as unknown[];
  const details: string[] = [];
  let status: Interpretation['status'] = 'ok';
  let readVersion: number;
  if (version === null) {
    status = 'invalid-entries';
    details.push('The file does not say which version it is; it was read as the current version.');
    readVersion = CURRENT_SCHEMA_VERSION;
  } else if (version > CURRENT_SCHEMA_VERSION) {
    status = 'newer-version';
    readVersion = CURRENT_SCHEMA_VERSION; // read what this version understands, drop the rest
  } else {
    if (version < CURRENT_SCHEMA_VERSION) status = 'migrated';
    readVersion = version;
  }
  if (version === CURRENT_SCHEMA_VERSION && doc['format'] !== PROFILE_FILE_FORMAT) {
    status = 'invalid-entries';
    details.push('The file does not name its format; it was read as a CredHop profile file.');
  }

  const profiles: HopProfile[] = [];
  const ids = new Set<string>();
  entries.forEach((raw, index) => {
    let migrated: unknown;
    try {
      migrated = migrateEntry(raw, readVersion, ctx);
    } catch {
      details.push(`${describeEntry(index, raw)}: could not be upgraded.`);
      if (status !== 'newer-version') status = 'invalid-entries';
      return;
    }
    const parsed = hopProfileSchema.safeParse(migrated);
    if (!parsed.success) {
      details.push(`${describeEntry(index, raw)}: ${issuesOf(parsed.error).join('; ')}`);
      if (status !== 'newer-version') status = 'invalid-entries';
      return;
    }
    const profile = { ...parsed.data, id: parsed.data.id.toLowerCase() };
    if (ids.has(profile.id)) {
      details.push(`${describeEntry(index, raw)}: has the same id as an earlier profile and was left out.`);
      if (status !== 'newer-version') status = 'invalid-entries';
      return;
    }
    if (profiles.some((p) => sameProfileName(p.name, profile.name))) {
      const unique = uniqueName(profile.name, profiles);
      details.push(`${describeEntry(index, raw)}: has the same name as an earlier profile and was renamed to "${unique}".`);
      profile.name = unique;
      if (status !== 'newer-version') status = 'invalid-entries';
    }
    ids.add(profile.id);
    profiles.push(profile);
  });
  if (status === 'invalid-entries' && version !== null && version < CURRENT_SCHEMA_VERSION) {
    details.unshift(`The file was upgraded from version ${version} to version ${CURRENT_SCHEMA_VERSION}.`);
  }
  return { profiles, status, fromVersion: version, details };
}

/** `base`, or `base (2)`, `base (3)`, ... — the first that no profile uses, within the length limit. */
export function uniqueName(base: string, existing: ReadonlyArray<{ name: string }>, firstSuffix = 2): string {
  const taken = (name: string) => existing.some((p) => sameProfileName(p.name, name));
  if (!taken(base)) return base;
  for (let n = firstSuffix; ; n++) {
    const suffix = ` (${n})`;
    const candidate = base.slice(0, PROFILE_LIMITS.nameMax - suffix.length).trimEnd() + suffix;
    if (!taken(candidate)) return candidate;
  }
}

export function serializeProfileFile(profiles: HopProfile[], savedAt: string): string {
  const doc: ProfileFileV2 = { format: PROFILE_FILE_FORMAT, schemaVersion: CURRENT_SCHEMA_VERSION, savedAt, profiles };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Fault injection for tests: runs after the temp file is written and flushed, before the rename. */
export interface AtomicWriteHooks {
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

async function fsyncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable on POSIX. Windows cannot open a directory for flushing; NTFS
  // journals the rename, so there is nothing to do there.
  if (process.platform === 'win32') return;
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the data file itself is already flushed.
  } finally {
    await handle?.close();
  }
}

async function renameWithRetry(from: string, to: string): Promise<void> {
  // On Windows a virus scanner or indexer can hold the target open for a moment (EPERM/EBUSY).
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= 5 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw error;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}

/** Writes a file so that a reader (or a crash) sees either the old content or the new, never a mix. */
export async function writeFileAtomic(path: string, content: string, hooks: AtomicWriteHooks = {}): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await hooks.beforeRename?.(temp);
    await renameWithRetry(temp, path);
    renamed = true;
    await fsyncDirectory(dirname(path));
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** Writes bytes to a new file (never replacing one) and flushes them. */
async function writeNewFile(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function describeWriteError(error: unknown, path: string): AppError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'CredHop is not allowed to write there'
        : code === 'EROFS'
          ? 'the disk is read-only'
          : 'the file system reported an error';
  return new AppError('internal', `CredHop could not save the profiles: ${why}. Nothing was changed.`, `Check the folder ${dirname(path)} and try again.`);
}

export interface ProfileStoreOptions {
  /** The app's data folder (Electron's userData; the CLI passes the same folder). */
  dataDir: string;
  now?: () => Date;
  newId?: () => string;
  /** Diagnostics without content: never a profile field value, never a secret. */
  log?: (entry: { event: string; detail?: string }) => void;
  hooks?: AtomicWriteHooks;
}

export class ProfileStore {
  readonly dataDir: string;
  readonly filePath: string;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly log: (entry: { event: string; detail?: string }) => void;
  private readonly hooks: AtomicWriteHooks;
  private readonly noticeList: StoreNotice[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private cleanedTemps = false;
  /** Set when the file exists but cannot be read: writing would destroy it, so writes are refused. */
  private readOnlyReason: string | null = null;

  constructor(options: ProfileStoreOptions) {
    this.dataDir = options.dataDir;
    this.filePath = join(options.dataDir, PROFILE_FILE_NAME);
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => randomUUID());
    this.log = options.log ?? (() => undefined);
    this.hooks = options.hooks ?? {};
  }

  /** What the user must be told about the profile file during this run. */
  notices(): StoreNotice[] {
    return this.noticeList.map((n) => ({ ...n }));
  }

  /** Reads (and if needed recovers) the file; returns every profile in file order. */
  load(): Promise<HopProfile[]> {
    return this.exclusive(() => this.readCurrent());
  }

  async list(query?: string): Promise<HopProfile[]> {
    const profiles = await this.load();
    return profiles
      .filter((p) => query === undefined || profileMatches(p, query))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
  }

  async get(id: string): Promise<HopProfile> {
    const profile = (await this.load()).find((p) => p.id === id.toLowerCase());
    if (profile === undefined) throw notFound();
    return profile;
  }

  create(fields: HopProfileFields): Promise<HopProfile> {
    return this.transaction((profiles) => {
      assertNameFree(profiles, fields.name);
      const at = this.now().toISOString();
      const profile: HopProfile = { ...fields, id: this.newId(), createdAt: at, updatedAt: at };
      return { profiles: [...profiles, profile], result: profile };
    });
  }

  /** Replaces the editable fields; `expectedUpdatedAt` refuses the update if someone else changed it first. */
  update(id: string, fields: HopProfileFields, expectedUpdatedAt?: string): Promise<{ before: HopProfile; after: HopProfile }> {
    return this.transaction((profiles) => {
      const before = findOrThrow(profiles, id);
      if (expectedUpdatedAt !== undefined && before.updatedAt !== expectedUpdatedAt) {
        throw new AppError(
          'conflict',
          'This profile was changed elsewhere (another window or the command line) after you opened it.',
          'Open the profile again and repeat your change.',
        );
      }
      assertNameFree(profiles, fields.name, before.id);
      const after: HopProfile = { ...fields, id: before.id, createdAt: before.createdAt, updatedAt: this.later(before.updatedAt) };
      return { profiles: profiles.map((p) => (p.id === before.id ? after : p)), result: { before, after } };
    });
  }

  rename(id: string, name: string): Promise<HopProfile> {
    return this.transaction((profiles) => {
      const before = findOrThrow(profiles, id);
      assertNameFree(profiles, name, before.id);
      const after: HopProfile = { ...before, name, updatedAt: this.later(before.updatedAt) };
      return { profiles: profiles.map((p) => (p.id === before.id ? after : p)), result: after };
    });
  }

  duplicate(id: string, name?: string): Promise<{ source: HopProfile; copy: HopProfile }> {
    return this.transaction((profiles) => {
      const source = findOrThrow(profiles, id);
      let copyName: string;
      if (name !== undefined) {
        assertNameFree(profiles, name);
        copyName = name;
      } else {
        const base = `${source.name.slice(0, PROFILE_LIMITS.nameMax - ' (copy)'.length).trimEnd()} (copy)`;
        copyName = uniqueName(base, profiles);
      }
      const at = this.now().toISOString();
      const copy: HopProfile = { ...source, name: copyName, id: this.newId(), createdAt: at, updatedAt: at };
      return { profiles: [...profiles, copy], result: { source, copy } };
    });
  }

  remove(id: string): Promise<HopProfile> {
    return this.transaction((profiles) => {
      const gone = findOrThrow(profiles, id);
      return { profiles: profiles.filter((p) => p.id !== gone.id), result: gone };
    });
  }

  /**
   * Reads the current profiles, lets `change` compute the new list, and writes it atomically; all
   * under the store's lock. `change` may throw (AppError) to abort without writing.
   */
  transaction<T>(change: (profiles: HopProfile[]) => { profiles: HopProfile[]; result: T; write?: boolean }): Promise<T> {
    return this.exclusive(async () => {
      const current = await this.readCurrent();
      const { profiles, result, write } = change(current.map((p) => ({ ...p })));
      if (write !== false) {
        if (this.readOnlyReason !== null)
          throw new AppError('refused', `CredHop will not change the profiles: ${this.readOnlyReason}`, 'Fix the file\'s permissions and restart CredHop.');
        await this.writeProfiles(profiles);
      }
      return result;
    });
  }

  /** A new updatedAt that sorts after the old one even when the clock has not moved (or went back). */
  private later(previous: string): string {
    const now = this.now();
    const prev = Date.parse(previous);
    return (Number.isFinite(prev) && now.getTime() <= prev ? new Date(prev + 1) : now).toISOString();
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private addNotice(notice: StoreNotice): void {
    this.noticeList.push(notice);
    this.log({ event: `profiles-file-${notice.kind}`, ...(notice.backupPath ? { detail: basename(notice.backupPath) } : {}) });
  }

  private async writeProfiles(profiles: HopProfile[]): Promise<void> {
    try {
      await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.filePath, serializeProfileFile(profiles, this.now().toISOString()), this.hooks);
      this.log({ event: 'profiles-saved', detail: String(profiles.length) });
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.log({ event: 'profiles-save-failed', detail: (error as NodeJS.ErrnoException).code ?? 'unknown' });
      throw describeWriteError(error, this.filePath);
    }
  }

  /** Removes temp files left by a crash between write and rename (the real file is intact). */
  private async cleanStaleTemps(): Promise<void> {
    if (this.cleanedTemps) return;
    this.cleanedTemps = true;
    let names: string[];
    try {
      names = await readdir(this.dataDir);
    } catch {
      return;
    }
    const prefix = `${PROFILE_FILE_NAME}.tmp-`;
    const cutoff = this.now().getTime() - 60_000; // a concurrent writer's temp file is younger than that
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const path = join(this.dataDir, name);
      try {
        if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
      } catch {
        // gone already, or not ours to remove
      }
    }
  }

  private async readCurrent(): Promise<HopProfile[]> {
    await this.cleanStaleTemps();
    let bytes: Buffer;
    try {
      bytes = await readFile(this.filePath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.readOnlyReason = null;
        return [];
      }
      const reason = `the profile file ${this.filePath} cannot be read (${code ?? 'unknown error'}).`;
      if (this.readOnlyReason !== reason) {
        this.readOnlyReason = reason;
        this.addNotice({
          kind: 'unreadable',
          level: 'error',
          message: `CredHop cannot read its profile file (${code ?? 'unknown error'}). It was left untouched, and no changes to profiles will be saved until it can be read.`,
        });
      }
      return [];
    }
    if (bytes.length > MAX_PROFILE_FILE_BYTES) {
      this.readOnlyReason = null;
      return this.recover(bytes, {
        profiles: [],
        status: 'corrupt',
        fromVersion: null,
        details: [`The file is ${bytes.length} bytes long, far larger than any profile file.`],
      });
    }
    this.readOnlyReason = null;
    const interpretation = interpretProfileFile(bytes.toString('utf8'), { now: this.now().toISOString(), newId: this.newId });
    if (interpretation.status === 'ok') return interpretation.profiles;
    return this.recover(bytes, interpretation);
  }

  /** Keeps the original aside, tells the user, and replaces the file with what could be read. */
  private async recover(original: Buffer, found: Interpretation): Promise<HopProfile[]> {
    const reason = found.status === 'migrated' ? `v${found.fromVersion ?? 'unknown'}` : found.status;
    let backupPath: string | undefined;
    try {
      backupPath = await this.keepAside(original, reason);
    } catch (error) {
      // Without a safe copy the original must not be replaced: work from memory, refuse writes.
      this.readOnlyReason = `a copy of the damaged profile file could not be made (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}).`;
      this.addNotice({
        kind: 'write-failed',
        level: 'error',
        message: `CredHop found a problem in its profile file but could not keep a copy of it, so it left the file untouched and will not save changes to profiles. ${found.profiles.length} profile(s) were loaded.`,
        details: found.details,
      });
      return found.profiles;
    }
    try {
      await this.writeProfiles(found.profiles);
    } catch {
      this.addNotice({
        kind: 'write-failed',
        level: 'error',
        message: 'CredHop could not write the repaired profile file; the original is unchanged and a copy was kept.',
        backupPath,
      });
      return found.profiles;
    }
    this.addNotice(noticeFor(found, backupPath));
    return found.profiles;
  }

  private async keepAside(original: Buffer, reason: string): Promise<string> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const base = join(this.dataDir, `${PROFILE_FILE_NAME}.${reason}-${stamp(this.now())}`);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? `${base}.bak` : `${base}-${n}.bak`;
      try {
        await writeNewFile(candidate, original);
        await fsyncDirectory(this.dataDir);
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error;
      }
    }
  }
}

function noticeFor(found: Interpretation, backupPath: string): StoreNotice {
  const count = `${found.profiles.length} profile${found.profiles.length === 1 ? '' : 's'}`;
  const kept = `The original file was kept as ${backupPath}.`;
  switch (found.status) {
    case 'corrupt':
      return {
        kind: 'corrupt',
        level: 'warn',
        message: `CredHop's profile file was damaged and could not be read, so CredHop started with no saved profiles. ${kept}`,
        backupPath,
        details: found.details,
      };
    case 'newer-version':
      return {
        kind: 'newer-version',
        level: 'warn',
        message: `The profile file was written by a newer version of CredHop (file version ${found.fromVersion ?? '?'}). ${count} could be read and were loaded; settings only the newer version knows were left out. ${kept}`,
        backupPath,
        details: found.details,
      };
    case 'migrated':
      return {
        kind: 'migrated',
        level: 'info',
        message: `Your profiles were upgraded from file version ${found.fromVersion ?? '?'} to version ${CURRENT_SCHEMA_VERSION}. ${kept}`,
        backupPath,
        details: found.details,
      };
    default:
      return {
        kind: 'invalid-entries',
        level: 'warn',
        message: `Some entries of the profile file were not valid (it may have been edited by hand). ${count} were loaded; the problems are listed below. ${kept}`,
        backupPath,
        details: found.details,
      };
  }
}

function notFound(): AppError {
  return new AppError('not-found', 'That profile does not exist any more; it may have been deleted in another window or by the command line.', 'Reload the list of profiles.');
}

function findOrThrow(profiles: HopProfile[], id: string): HopProfile {
  const profile = profiles.find((p) => p.id === id.toLowerCase());
  if (profile === undefined) throw notFound();
  return profile;
}

function assertNameFree(profiles: HopProfile[], name: string, exceptId?: string): void {
  if (profiles.some((p) => p.id !== exceptId && sameProfileName(p.name, name))) {
    throw new AppError('conflict', `A profile named "${name}" already exists.`, 'Choose another name, or edit the existing profile.');
  }
}
