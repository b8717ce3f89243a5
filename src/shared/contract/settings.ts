// IPC contract for the app's settings: the default time box, practice mode and its lab file, and the
// PowerShell CredHop found (read-only). Saved as a JSON file in the data folder by main.
import { z } from 'zod';
import { timeBoxMinutesSchema, PROFILE_LIMITS } from '../domain/profile';
import { AUDIT_RETENTION_LIMITS } from '../domain/audit-rules';
import { powershellInfoSchema } from './env';

export { AUDIT_RETENTION_LIMITS };

/** A lab file path as typed in settings: absolute, a .json file, no control characters. Empty = the built-in lab. */
export const labFilePathSchema = z
  .string()
  .max(4096, 'The path is far too long.')
  .trim()
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'The path contains a control character.')
  .refine((v) => v === '' || /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(v), 'Type the full path of the lab file (for example C:\\Labs\\my-lab.json).')
  .refine((v) => v === '' || /\.json$/i.test(v), 'A lab file is a .json file.');

/** How long the audit log's rotated files are kept, in days (limits and why in audit-rules). */
export const auditRetentionDaysSchema = z
  .number()
  .int('Enter whole days.')
  .min(AUDIT_RETENTION_LIMITS.min, `Keep the audit log at least ${AUDIT_RETENTION_LIMITS.min} days.`)
  .max(AUDIT_RETENTION_LIMITS.max, `Keep the audit log at most ${AUDIT_RETENTION_LIMITS.max} days.`);

export const settingsSchema = z.object({
  /** The time box new profiles start with, in minutes. */
  defaultTimeBoxMinutes: timeBoxMinutesSchema,
  /** The practice lab file; null for the lab shipped with CredHop (the article's three machines). */
  practiceLabFile: z.string().nullable(),
  /** Run against the practice lab instead of real machines. */
  practiceMode: z.boolean(),
  /** Days the audit log keeps its rotated (monthly or full) files; older ones are deleted. */
  auditRetentionDays: auditRetentionDaysSchema,
});
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  defaultTimeBoxMinutes: PROFILE_LIMITS.timeBoxDefault,
  practiceLabFile: null,
  practiceMode: false,
  auditRetentionDays: AUDIT_RETENTION_LIMITS.default,
};

const settingsView = z.object({
  settings: settingsSchema,
  /** Whether practice mode is on now (a --practice start forces it on whatever the saved setting says). */
  practiceMode: z.boolean(),
  /** The lab file practice mode uses now, or would use. */
  effectiveLabFile: z.string(),
  /** The labs that come with CredHop, offered in practice mode (the article's lab first). */
  practiceLabs: z.array(z.object({ id: z.string(), title: z.string(), summary: z.string(), file: z.string() })).optional(),
  /** The PowerShell CredHop runs: path and version when found, in plain words otherwise. */
  powershell: powershellInfoSchema,
  /** Where the settings file lives. */
  file: z.string(),
  /** Set when the saved file could not be read and defaults are shown instead. */
  notice: z.string().optional(),
});
export type SettingsView = z.infer<typeof settingsView>;

export const settingsContract = {
  settingsGet: { request: z.object({}).strict(), response: settingsView },
  /**
   * Changes some settings. Switching practice mode restarts CredHop's PowerShell against the lab or the
   * real machines; it is refused while changes made in the current mode are not yet restored.
   */
  settingsSave: {
    request: z
      .object({
        defaultTimeBoxMinutes: timeBoxMinutesSchema.optional(),
        /** '' or null: the built-in lab. */
        practiceLabFile: labFilePathSchema.nullable().optional(),
        practiceMode: z.boolean().optional(),
        auditRetentionDays: auditRetentionDaysSchema.optional(),
      })
      .strict(),
    response: settingsView,
  },
};
