// Import and export of profiles as a JSON document. An export holds the editable fields only —
// never an id, never a secret (the export schema is a whitelist). An import is validated entry by
// entry; entries that fail are reported, the rest are added, with name conflicts resolved as the
// user chose: keep both (the import gets a "(2)" name), replace (the existing profile keeps its id,
// so its journal references stay valid), or skip.
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { AppError } from '../errors';
import type { ConflictStrategy, ImportResponse } from '../../shared/contract/profiles';
import { hopProfileFieldsSchema, sameProfileName, type HopProfile, type HopProfileFields } from '../../shared/domain/profile';
import {
  CURRENT_SCHEMA_VERSION,
  declaredVersion,
  migrateEntry,
  uniqueName,
  writeFileAtomic,
  type MigrationContext,
  type ProfileStore,
} from './store';

export const EXPORT_FORMAT = 'credhop.profiles-export';
export const MAX_IMPORT_BYTES = 1_000_000;
const MAX_IMPORT_ENTRIES = 5_000;
/** Field names that suggest someone put a secret into the file; they are never read, only reported. */
const SECRET_LIKE_KEY = /pass(word)?|pwd|secret|credential|token/i;

/** The exact fields an export carries. zod strips everything else (ids, timestamps, anything secret). */
export function toExportEntry(profile: HopProfile): HopProfileFields {
  return hopProfileFieldsSchema.parse({
    name: profile.name,
    jumpServer: profile.jumpServer,
    jumpServerConnectAs: profile.jumpServerConnectAs,
    target: profile.target,
    jumpAccount: profile.jumpAccount,
    targetAccount: profile.targetAccount,
    probeCommand: profile.probeCommand,
    timeBoxMinutes: profile.timeBoxMinutes,
    notes: profile.notes,
  });
}

export function serializeExport(profiles: HopProfile[], exportedAt: string): string {
  const doc = {
    format: EXPORT_FORMAT,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    exportedAt,
    profiles: profiles.map(toExportEntry),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export interface ParsedImport {
  entries: Array<{ index: number; fields: HopProfileFields }>;
  invalid: ImportResponse['invalid'];
  warnings: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notAnExport(why: string): AppError {
  return new AppError('refused', `This is not a CredHop profile export: ${why}`, 'Choose a file that CredHop exported (Export profiles).');
}

/** Reads an export (or a copy of the profile file, of any version CredHop knows) without touching the store. */
export function parseImport(content: string, ctx: MigrationContext): ParsedImport {
  if (Buffer.byteLength(content, 'utf8') > MAX_IMPORT_BYTES) throw notAnExport('the file is larger than 1 MB.');
  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw notAnExport('the file is not valid JSON.');
  }
  if (!isRecord(doc) || !Array.isArray(doc['profiles'])) throw notAnExport('the file has no list of profiles.');
  const entries = doc['profiles'] as unknown[];
  if (entries.length > MAX_IMPORT_ENTRIES) throw notAnExport(`the file lists more than ${MAX_IMPORT_ENTRIES} profiles.`);

  const warnings: string[] = [];
  const format = doc['format'];
  if (format !== EXPORT_FORMAT && format !== 'credhop.profiles' && format !== undefined) {
    throw notAnExport('the file says it is something else.');
  }
  let version = declaredVersion(doc);
  if (version === null) {
    warnings.push('The file does not say which version it is; it was read as the current version.');
    version = CURRENT_SCHEMA_VERSION;
  } else if (version > CURRENT_SCHEMA_VERSION) {
    warnings.push(`The file was written by a newer version of CredHop (version ${version}); settings this version does not know were left out.`);
    version = CURRENT_SCHEMA_VERSION;
  }
  if (Object.keys(doc).some((k) => SECRET_LIKE_KEY.test(k))) {
    warnings.push('The file contains a field that looks like a secret; CredHop never imports passwords, so it was ignored.');
  }

  const parsed: ParsedImport = { entries: [], invalid: [], warnings };
  entries.forEach((raw, index) => {
    const name = isRecord(raw) && typeof raw['name'] === 'string' ? raw['name'].slice(0, 80) : undefined;
    if (isRecord(raw)) {
      const secretKeys = Object.keys(raw).filter((k) => SECRET_LIKE_KEY.test(k));
      if (secretKeys.length > 0) {
        warnings.push(
          `Profile ${index + 1}${name === undefined ? '' : ` ("${name}")`} contains a field named ${secretKeys
            .map((k) => `"${k.slice(0, 40)}"`)
            .join(', ')}; CredHop never imports passwords, so it was ignored. Set the password in CredHop after the import.`,
        );
      }
    }
    let migrated: unknown;
    try {
      migrated = migrateEntry(raw, version, ctx);
    } catch {
      parsed.invalid.push({ index, ...(name === undefined ? {} : { name }), problems: ['could not be upgraded'] });
      return;
    }
    const result = hopProfileFieldsSchema.safeParse(migrated);
    if (!result.success) {
      parsed.invalid.push({
        index,
        ...(name === undefined ? {} : { name }),
        problems: result.error.issues.slice(0, 5).map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)),
      });
      return;
    }
    parsed.entries.push({ index, fields: result.data });
  });
  return parsed;
}

export interface ImportOptions {
  onConflict?: ConflictStrategy;
  /** Per-name choices keyed by the name in the file; they override onConflict. */
  decisions?: Record<string, ConflictStrategy>;
  dryRun?: boolean;
}

export interface ImportPlan {
  profiles: HopProfile[];
  items: ImportResponse['items'];
  /** Existing profiles that an imported one replaced (same id): the caller reconciles their secrets. */
  replaced: Array<{ before: HopProfile; after: HopProfile }>;
}

function decisionFor(name: string, options: ImportOptions): ConflictStrategy {
  const decisions = options.decisions ?? {};
  const exact = Object.prototype.hasOwnProperty.call(decisions, name) ? decisions[name] : undefined;
  if (exact !== undefined) return exact;
  const loose = Object.entries(decisions).find(([key]) => sameProfileName(key, name));
  return loose?.[1] ?? options.onConflict ?? 'keep-both';
}

/** Pure: what the profile list looks like after importing `entries`. */
export function planImport(
  existing: HopProfile[],
  entries: ParsedImport['entries'],
  options: ImportOptions,
  ctx: { now: string; newId: () => string },
): ImportPlan {
  const working = existing.map((p) => ({ ...p }));
  const items: ImportPlan['items'] = [];
  const replaced: ImportPlan['replaced'] = [];
  for (const { fields } of entries) {
    const clash = working.find((p) => sameProfileName(p.name, fields.name));
    if (clash === undefined) {
      const profile: HopProfile = { ...fields, id: ctx.newId(), createdAt: ctx.now, updatedAt: ctx.now };
      working.push(profile);
      items.push({ sourceName: fields.name, action: 'added', name: profile.name, id: profile.id, conflict: false });
      continue;
    }
    const strategy = decisionFor(fields.name, options);
    if (strategy === 'skip') {
      items.push({ sourceName: fields.name, action: 'skipped', conflict: true });
    } else if (strategy === 'replace') {
      const after: HopProfile = { ...fields, id: clash.id, createdAt: clash.createdAt, updatedAt: ctx.now };
      const at = working.indexOf(clash);
      working[at] = after;
      replaced.push({ before: clash, after });
      items.push({ sourceName: fields.name, action: 'replaced', name: after.name, id: after.id, conflict: true });
    } else {
      const profile: HopProfile = {
        ...fields,
        name: uniqueName(fields.name, working),
        id: ctx.newId(),
        createdAt: ctx.now,
        updatedAt: ctx.now,
      };
      working.push(profile);
      items.push({ sourceName: fields.name, action: 'kept-both', name: profile.name, id: profile.id, conflict: true });
    }
  }
  return { profiles: working, items, replaced };
}

export interface ImportOutcome extends ImportResponse {
  replaced: ImportPlan['replaced'];
}

export interface ImportExportContext {
  now?: () => Date;
  newId?: () => string;
}

/** Parses, plans and (unless dryRun) saves an import in one transaction of the store. */
export async function importProfiles(
  store: ProfileStore,
  content: string,
  options: ImportOptions = {},
  context: ImportExportContext = {},
): Promise<ImportOutcome> {
  const now = (context.now ?? (() => new Date()))().toISOString();
  const newId = context.newId ?? (() => randomUUID());
  const parsed = parseImport(content, { now, newId });
  const dryRun = options.dryRun ?? false;
  return store.transaction((existing) => {
    const plan = planImport(existing, parsed.entries, options, { now, newId });
    const changed = plan.items.some((i) => i.action !== 'skipped');
    return {
      profiles: plan.profiles,
      write: !dryRun && changed,
      result: { dryRun, items: plan.items, invalid: parsed.invalid, warnings: parsed.warnings, replaced: dryRun ? [] : plan.replaced },
    };
  });
}

export async function exportProfiles(
  store: ProfileStore,
  ids?: readonly string[],
  context: ImportExportContext = {},
): Promise<{ content: string; count: number; suggestedFileName: string }> {
  const all = await store.list();
  let chosen = all;
  if (ids !== undefined) {
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    chosen = all.filter((p) => wanted.has(p.id));
    if (chosen.length !== wanted.size) {
      throw new AppError('not-found', 'Some of the chosen profiles do not exist any more.', 'Reload the list of profiles and choose again.');
    }
  }
  const now = (context.now ?? (() => new Date()))();
  return {
    content: serializeExport(chosen, now.toISOString()),
    count: chosen.length,
    suggestedFileName: `credhop-profiles-${now.toISOString().slice(0, 10)}.json`,
  };
}

/** For the CLI: import from a file on disk. */
export async function importProfilesFromFile(
  store: ProfileStore,
  path: string,
  options: ImportOptions = {},
  context: ImportExportContext = {},
): Promise<ImportOutcome> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new AppError('not-found', `CredHop cannot open ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Check the path and try again.');
  }
  if (size > MAX_IMPORT_BYTES) throw notAnExport('the file is larger than 1 MB.');
  const content = await readFile(path, 'utf8');
  return importProfiles(store, content, options, context);
}

/** For the CLI: export to a file on disk, atomically; refuses to replace an existing file unless told to. */
export async function exportProfilesToFile(
  store: ProfileStore,
  path: string,
  options: { ids?: readonly string[]; overwrite?: boolean } = {},
  context: ImportExportContext = {},
): Promise<{ path: string; count: number }> {
  if (options.overwrite !== true) {
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new AppError('conflict', `${path} already exists.`, 'Choose another file name, or allow CredHop to replace it.');
  }
  const { content, count } = await exportProfiles(store, options.ids, context);
  await writeFileAtomic(path, content);
  return { path, count };
}
