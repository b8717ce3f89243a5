// The app's settings: one small JSON file in the data folder, written atomically (temp file, flush,
// rename), read once at start. A missing file means defaults; an unreadable or invalid one is kept
// aside and reported, never fatal.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, settingsSchema, type Settings } from '../../shared/contract/settings';
import { AppError } from '../errors';
import { writeFileAtomic } from '../profiles/store';

export const SETTINGS_FILE_NAME = 'settings.json';
const FORMAT = 'credhop-settings';

/** Reads a settings document leniently: each valid field is kept, each invalid one falls back to its default. */
export function interpretSettings(text: string): { settings: Settings; notice?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { settings: { ...DEFAULT_SETTINGS }, notice: 'The settings file was not valid JSON; CredHop uses the defaults.' };
  }
  const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const values = (typeof doc.settings === 'object' && doc.settings !== null ? doc.settings : {}) as Record<string, unknown>;
  const settings = { ...DEFAULT_SETTINGS };
  const invalid: string[] = [];
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    if (!(key in values)) continue;
    const parsed = settingsSchema.shape[key].safeParse(values[key]);
    if (parsed.success) (settings as Record<string, unknown>)[key] = parsed.data;
    else invalid.push(key);
  }
  return invalid.length > 0
    ? { settings, notice: `Some saved settings were not valid and were reset to their defaults: ${invalid.join(', ')}.` }
    : { settings };
}

export function serializeSettings(settings: Settings): string {
  return `${JSON.stringify({ format: FORMAT, version: 1, settings }, null, 2)}\n`;
}

export class SettingsStore {
  readonly filePath: string;
  private current: Settings;
  private loadNotice: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataDir: string) {
    this.filePath = join(dataDir, SETTINGS_FILE_NAME);
    const loaded = this.load();
    this.current = loaded.settings;
    this.loadNotice = loaded.notice;
  }

  private load(): { settings: Settings; notice?: string } {
    let text: string;
    try {
      text = readFileSync(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { settings: { ...DEFAULT_SETTINGS } };
      return { settings: { ...DEFAULT_SETTINGS }, notice: 'The settings file could not be read; CredHop uses the defaults.' };
    }
    const result = interpretSettings(text);
    if (result.notice) {
      // Keep the unreadable original beside, so saving the defaults does not destroy it.
      try {
        renameSync(this.filePath, `${this.filePath}.invalid-${Date.now()}`);
      } catch {
        // Best effort: the notice still tells the user.
      }
    }
    return result;
  }

  get(): Settings {
    return { ...this.current };
  }

  /** A problem met while loading, shown once in the settings screen. */
  get notice(): string | undefined {
    return this.loadNotice;
  }

  /** Merges and saves; writes are serialised so two quick saves cannot interleave. */
  async update(patch: Partial<Settings>): Promise<Settings> {
    settingsSchema.parse({ ...this.current, ...patch }); // refuse bad values before queueing
    const run = this.queue.then(async () => {
      // Merged when its turn comes, so a save queued behind another builds on it.
      const next = settingsSchema.parse({ ...this.current, ...patch });
      try {
        mkdirSync(this.dataDir, { recursive: true });
        await writeFileAtomic(this.filePath, serializeSettings(next));
      } catch {
        throw new AppError('internal', 'CredHop could not save the settings. Nothing was changed.', `Check that the folder ${this.dataDir} is writable, then try again.`);
      }
      this.current = next;
      this.loadNotice = undefined;
      return next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
