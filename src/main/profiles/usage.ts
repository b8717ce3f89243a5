// Each saved profile's usage across runs of CredHop: when it was last used (a check or a test) and when a
// hop was last verified with it. One small file per mode beside the journal (usage.json), written
// atomically; the app and the command line share it, so a hop verified by `credhop test` shows on the
// app's home. Bounded by the number of profiles: every write forgets the entries of deleted profiles.
// A damaged file is said in the log and read as empty (it holds no profile, so nothing of value is lost).
// Only profile ids and times: no host, no account, no secret.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { profileUsageSchema, type UsageByProfile } from '../../shared/domain/profile-state';
import { profileIdSchema } from '../../shared/domain/profile';
import { writeFileAtomic, type AtomicWriteHooks } from './store';

export const USAGE_FILE_NAME = 'usage.json';
const USAGE_VERSION = 1;
/** Far larger than any usage file CredHop writes (a few hundred profiles take a few tens of KB). */
const MAX_USAGE_FILE_BYTES = 1024 * 1024;

const usageFile = z.object({ version: z.number().int(), profiles: z.record(z.string(), z.unknown()) });

export type UsageLogEvent = { event: 'usage-file-unreadable' | 'usage-save-failed'; code: string };

/** Reads the text of a usage file: the valid entries, and why the rest was dropped (null: nothing was). */
export function interpretUsage(text: string): { usage: UsageByProfile; problem: string | null } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { usage: {}, problem: 'not-json' };
  }
  const parsed = usageFile.safeParse(doc);
  if (!parsed.success) return { usage: {}, problem: 'not-a-usage-file' };
  if (parsed.data.version > USAGE_VERSION) return { usage: {}, problem: 'newer-version' };
  const usage: UsageByProfile = {};
  let dropped = false;
  for (const [id, entry] of Object.entries(parsed.data.profiles)) {
    const entryOk = profileUsageSchema.safeParse(entry);
    if (profileIdSchema.safeParse(id).success && entryOk.success) usage[id.toLowerCase()] = entryOk.data;
    else dropped = true;
  }
  return { usage, problem: dropped ? 'invalid-entries' : null };
}

export function serializeUsage(usage: UsageByProfile): string {
  return `${JSON.stringify({ version: USAGE_VERSION, profiles: usage }, null, 2)}\n`;
}

/** What the hop engine tells the record about (its test and check use cases). */
export interface UsageRecorder {
  record(profileId: string, verified: boolean): Promise<void>;
  read(): Promise<UsageByProfile>;
}

export interface ProfileUsageOptions {
  /** The mode's data folder (the journal's). */
  dir: string;
  /** The ids of the saved profiles now (the profile store): only they are kept. */
  profileIds: () => Promise<readonly string[]>;
  now?: () => Date;
  /** Diagnostics without content: an event and an error code, never an id or a time. */
  log?: (entry: UsageLogEvent) => void;
  hooks?: AtomicWriteHooks;
}

export class ProfileUsageStore implements UsageRecorder {
  readonly filePath: string;
  private readonly now: () => Date;
  private readonly log: (entry: UsageLogEvent) => void;
  private queue: Promise<unknown> = Promise.resolve();
  private reported: string | null = null;

  constructor(private readonly options: ProfileUsageOptions) {
    this.filePath = join(options.dir, USAGE_FILE_NAME);
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
  }

  /** The usage of every profile as the file has it; a missing or damaged file reads as none. */
  async read(): Promise<UsageByProfile> {
    let text: string;
    try {
      const bytes = await readFile(this.filePath);
      if (bytes.length > MAX_USAGE_FILE_BYTES) return this.damaged('too-large');
      text = bytes.toString('utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      return code === 'ENOENT' ? {} : this.damaged(code);
    }
    const { usage, problem } = interpretUsage(text);
    if (problem) this.damaged(problem);
    return usage;
  }

  /**
   * Notes that a saved profile was used now, and that a hop was verified with it when `verified`. An id
   * that is no saved profile (the command line's hosts given by hand, a profile deleted meanwhile) is not
   * kept. Never throws: the usage is what the home says, never a reason to fail a check or a test.
   */
  record(profileId: string, verified: boolean): Promise<void> {
    const run = async () => {
      try {
        const ids = new Set((await this.options.profileIds()).map((id) => id.toLowerCase()));
        const id = profileId.toLowerCase();
        if (!ids.has(id)) return;
        const at = this.now().toISOString();
        const kept = Object.entries(await this.read()).filter(([known]) => ids.has(known));
        const next: UsageByProfile = Object.fromEntries(kept);
        next[id] = { ...next[id], lastUsedAt: at, ...(verified ? { lastVerifiedAt: at } : {}) };
        await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.filePath, serializeUsage(next), this.options.hooks);
      } catch (error) {
        this.log({ event: 'usage-save-failed', code: (error as NodeJS.ErrnoException).code ?? 'unknown' });
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next;
    return next;
  }

  /** Says once per kind of damage that the file was read as empty (the next record replaces it). */
  private damaged(code: string): UsageByProfile {
    if (this.reported !== code) this.log({ event: 'usage-file-unreadable', code });
    this.reported = code;
    return {};
  }
}
