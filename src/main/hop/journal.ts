// The journal: an append-only, fsync'd JSON-lines file in the data folder. Before each effect the
// intent (and, once per session, the snapshot it is undone from); after it, the outcome. Restore
// reads only this file, so clean-up works after a crash, a restart, or from the command line.
// It holds what restore needs, not history: once a session is closed its records are compacted away
// (the audit log keeps the history), so every start and status check reads only the open sessions.
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { change, snapshot } from '../../shared/domain/hop';
import { AppError } from '../errors';
import { appendDurably, fsyncDir, syncDurably } from '../fs/durable';

export const journalRecord = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('begin'),
    session: z.string(),
    at: z.string(),
    profileId: z.string(),
    profileName: z.string(),
    account: z.string(),
    jumpServer: z.string(),
    target: z.string(),
    expiresAt: z.string(),
    practice: z.boolean(),
    /** The practice lab file the session was made in (absent in real mode, and in older journals). */
    lab: z.string().optional(),
    snapshot,
  }),
  z.object({ type: z.literal('intent'), session: z.string(), changeId: z.string(), at: z.string(), change }),
  z.object({ type: z.literal('outcome'), session: z.string(), changeId: z.string(), at: z.string(), ok: z.boolean(), detail: z.string().optional() }),
  z.object({ type: z.literal('restored'), session: z.string(), at: z.string(), complete: z.boolean(), reason: z.string(), differences: z.array(z.string()) }),
]);
export type JournalRecord = z.infer<typeof journalRecord>;
export type BeginRecord = Extract<JournalRecord, { type: 'begin' }>;

export interface OpenSession {
  begin: BeginRecord;
  intents: Extract<JournalRecord, { type: 'intent' }>[];
  outcomes: Map<string, boolean>;
}

export interface JournalRead {
  records: JournalRecord[];
  /** Lines that could not be read (a torn last line after a crash, or a hand edit). */
  skipped: number;
}

/** The points of a compaction, in order; a crash test stops the process right after each one. */
export const COMPACTION_STEPS = ['read', 'tmp-written', 'tmp-synced', 'renamed', 'dir-synced'] as const;
export type CompactionStep = (typeof COMPACTION_STEPS)[number];

export interface JournalOptions {
  /** Called right after each step of a compaction (crash tests kill the process here). */
  afterCompactionStep?: (step: CompactionStep) => void;
}

/** Open sessions from records in file order. Pure; `Journal.openSessions` reads the file and calls it. */
export function openSessionsOf(records: readonly JournalRecord[]): OpenSession[] {
  const sessions = new Map<string, OpenSession>();
  const begins = new Map<string, BeginRecord>();
  for (const r of records) {
    if (r.type === 'begin') {
      begins.set(r.session, r);
      sessions.set(r.session, { begin: r, intents: [], outcomes: new Map() });
    }
    // An intent after a complete restore (a step that raced a clean-up) opens the session again.
    if (r.type === 'intent' && !sessions.has(r.session) && begins.has(r.session)) {
      sessions.set(r.session, { begin: begins.get(r.session)!, intents: [], outcomes: new Map() });
    }
    const s = sessions.get(r.session);
    if (!s) continue;
    if (r.type === 'intent') s.intents.push(r);
    if (r.type === 'outcome') s.outcomes.set(r.changeId, r.ok);
    if (r.type === 'restored' && r.complete) sessions.delete(r.session);
  }
  return [...sessions.values()].filter((s) => s.intents.length > 0);
}

/**
 * Which records a compaction keeps: every record of a session restore may still need, in file order.
 * That is an open session (changes not yet fully restored), and a session begun but without a change
 * yet, never restored and not past its time box: its flow may still be running (the wizard begins a
 * session before the client step, which can have nothing to change) and its next step looks the
 * session up here. Everything else is closed: restored complete with no change after it, or begun
 * and abandoned. Pure.
 */
export function recordsToKeep(records: readonly JournalRecord[], now: Date): { keep: JournalRecord[]; dropped: number } {
  const open = new Set(openSessionsOf(records).map((s) => s.begin.session));
  const touched = new Set<string>();
  for (const r of records) if (r.type !== 'begin') touched.add(r.session);
  for (const r of records) {
    if (r.type === 'begin' && !touched.has(r.session) && new Date(r.expiresAt).getTime() > now.getTime()) open.add(r.session);
  }
  const keep = records.filter((r) => open.has(r.session));
  return { keep, dropped: records.length - keep.length };
}

export class Journal {
  readonly file: string;
  readonly lockFile: string;
  readonly tmpFile: string;
  private readonly dir: string;
  private readonly afterCompactionStep: (step: CompactionStep) => void;
  /** Serialises work within this process: a clean-up waits for a running step instead of interleaving. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<boolean>();

  constructor(dataDir: string, options: JournalOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.dir = dataDir;
    this.file = join(dataDir, 'journal.jsonl');
    this.lockFile = join(dataDir, 'journal.lock');
    this.tmpFile = join(dataDir, 'journal.jsonl.tmp');
    this.afterCompactionStep = options.afterCompactionStep ?? (() => undefined);
  }

  /** Appends one record and flushes it to disk before returning. */
  append(record: JournalRecord): void {
    appendDurably(this.file, `${JSON.stringify(journalRecord.parse(record))}\n`);
  }

  /**
   * Appends several records with one flush: the intents of effects that go to PowerShell in one call
   * (all of them are on disk before any of them runs), or their outcomes after it.
   */
  appendAll(records: readonly JournalRecord[]): void {
    if (records.length === 0) return;
    appendDurably(this.file, records.map((r) => `${JSON.stringify(journalRecord.parse(r))}\n`).join(''));
  }

  read(): JournalRead {
    if (!existsSync(this.file)) return { records: [], skipped: 0 };
    const records: JournalRecord[] = [];
    let skipped = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed = journalRecord.safeParse(JSON.parse(line));
        if (parsed.success) records.push(parsed.data);
        else skipped += 1;
      } catch {
        skipped += 1;
      }
    }
    return { records, skipped };
  }

  /** Sessions with changes not yet fully restored, oldest first. */
  openSessions(): OpenSession[] {
    return openSessionsOf(this.read().records);
  }

  /**
   * Makes sure the journal holds the session's begin record before an intent is written for it. A
   * clean-up that closed the session may have compacted it away while a step waited for the lock;
   * writing the begin again (the same record, so the same snapshot) keeps the rule that an intent after
   * a complete restore re-opens the session, and the change restorable. Call holding the lock.
   */
  ensureBegun(begin: BeginRecord): void {
    if (!this.read().records.some((r) => r.type === 'begin' && r.session === begin.session)) this.append(begin);
  }

  /**
   * Drops the records of closed sessions (see recordsToKeep) and any unreadable line. Crash-safe at
   * every point: the kept records go to a temp file, which is flushed and then renamed over the journal
   * in one atomic step, so a crash leaves either the whole old journal (the closed sessions still
   * closed by their 'restored' records) or the whole new one (they are gone), never a mix; the folder is
   * flushed so the rename itself survives a power loss. Call holding the lock (appends under the lock
   * cannot interleave; a begin appended outside it is re-written by ensureBegun). Returns how many
   * records were dropped.
   */
  compact(now: Date): number {
    const read = this.read();
    this.afterCompactionStep('read');
    const { keep, dropped } = recordsToKeep(read.records, now);
    if (dropped === 0 && read.skipped === 0) {
      rmSync(this.tmpFile, { force: true }); // a temp file a crash left behind is never read
      return 0;
    }
    rmSync(this.tmpFile, { force: true }); // created afresh so its mode is ours (0o600)
    const fd = openSync(this.tmpFile, 'wx', 0o600);
    try {
      writeSync(fd, keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
      this.afterCompactionStep('tmp-written');
      syncDurably(fd);
      this.afterCompactionStep('tmp-synced');
    } finally {
      closeSync(fd);
    }
    renameSync(this.tmpFile, this.file);
    this.afterCompactionStep('renamed');
    fsyncDir(this.dir);
    this.afterCompactionStep('dir-synced');
    return dropped + read.skipped;
  }

  /**
   * Runs `work` holding the journal lock: one piece of work at a time in this process (a clean-up
   * started while a step runs waits for the step), and none while another CredHop process (app or
   * CLI) holds the lock file. Re-entrant for work already holding it; a lock left by a dead process
   * is taken over.
   */
  async withLock<T>(work: () => Promise<T>): Promise<T> {
    if (this.holder.getStore() === true) return work();
    const run = this.queue.then(() =>
      this.holder.run(true, async () => {
        this.acquire();
        try {
          return await work();
        } finally {
          rmSync(this.lockFile, { force: true });
        }
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private acquire(): void {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(this.lockFile, 'wx', 0o600);
        writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
        closeSync(fd);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = this.lockHolder();
        if (holder !== null && isAlive(holder)) {
          throw new AppError('conflict', `Another CredHop (process ${holder}) is changing machines right now.`, 'Wait for it to finish, or close it, then try again.');
        }
        rmSync(this.lockFile, { force: true }); // stale: its process is gone
      }
    }
    throw new AppError('conflict', 'CredHop could not take the journal lock.', 'Close other CredHop windows and try again.');
  }

  private lockHolder(): number | null {
    try {
      const pid = (JSON.parse(readFileSync(this.lockFile, 'utf8')) as { pid?: unknown }).pid;
      return typeof pid === 'number' ? pid : null;
    } catch {
      return null;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
