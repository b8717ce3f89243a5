// The journal: an append-only, fsync'd JSON-lines file in the data folder. Before each effect the
// intent (and, once per session, the snapshot it is undone from); after it, the outcome. Restore
// reads only this file, so clean-up works after a crash, a restart, or from the command line.
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { change, snapshot } from '../../shared/domain/hop';
import { AppError } from '../errors';

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

export class Journal {
  readonly file: string;
  readonly lockFile: string;
  /** Serialises work within this process: a clean-up waits for a running step instead of interleaving. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<boolean>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, 'journal.jsonl');
    this.lockFile = join(dataDir, 'journal.lock');
  }

  /** Appends one record and flushes it to disk before returning. */
  append(record: JournalRecord): void {
    const line = `${JSON.stringify(journalRecord.parse(record))}\n`;
    const fd = openSync(this.file, 'a', 0o600);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
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
    const sessions = new Map<string, OpenSession>();
    const begins = new Map<string, BeginRecord>();
    for (const r of this.read().records) {
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
