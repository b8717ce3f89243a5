// IPC contract for saved hop profiles and their secrets.
// No response schema has a field that could carry a password: the renderer may ask whether a secret
// exists, set it or delete it, never read it. Responses are validated (and stripped) by the router.
import { z } from 'zod';
import {
  hopProfileInputSchema,
  hopProfileSchema,
  passwordSchema,
  profileIdSchema,
  profileNameSchema,
  secretRoleSchema,
} from '../domain/profile';

/** Something the user must be told about the profile file (recovered, migrated, kept aside). */
export const storeNoticeSchema = z.object({
  kind: z.enum(['corrupt', 'newer-version', 'invalid-entries', 'migrated', 'unreadable', 'write-failed']),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  /** Where the original file was kept, when a copy was made. */
  backupPath: z.string().optional(),
  /** Per-entry problems, e.g. "Profile 3 (\"Payroll\"): jumpServer: ...". */
  details: z.array(z.string()).optional(),
});
export type StoreNotice = z.output<typeof storeNoticeSchema>;

export const conflictStrategySchema = z.enum(['keep-both', 'replace', 'skip']);
export type ConflictStrategy = z.output<typeof conflictStrategySchema>;

/** A keychain failure reported without failing the call (the user can type the password for this run). */
export const keychainProblemSchema = z.object({
  code: z.enum(['keychain-unavailable', 'timeout']),
  message: z.string(),
  hint: z.string().optional(),
});
export type KeychainProblem = z.output<typeof keychainProblemSchema>;

/** Where a secret for a profile account currently is: remembered in the keychain, in main's memory for this run, or nowhere. */
export const secretStoredSchema = z.enum(['keychain', 'session', 'none']);

const importItemSchema = z.object({
  /** The name in the imported file. */
  sourceName: z.string(),
  action: z.enum(['added', 'replaced', 'kept-both', 'skipped']),
  /** The name the profile has after the import (differs from sourceName for kept-both). */
  name: z.string().optional(),
  id: profileIdSchema.optional(),
  /** True when the name matched an existing profile. */
  conflict: z.boolean(),
});

const importResponseSchema = z.object({
  dryRun: z.boolean(),
  items: z.array(importItemSchema),
  /** Entries of the file that failed validation and were not imported. */
  invalid: z.array(z.object({ index: z.number().int(), name: z.string().optional(), problems: z.array(z.string()) })),
  warnings: z.array(z.string()),
});

const secretRef = { profileId: profileIdSchema, role: secretRoleSchema };

export const profilesContract = {
  profilesList: {
    request: z.object({ query: z.string().max(200).optional() }).strict(),
    response: z.object({ profiles: z.array(hopProfileSchema), notices: z.array(storeNoticeSchema) }),
  },
  profilesGet: {
    request: z.object({ id: profileIdSchema }).strict(),
    response: z.object({ profile: hopProfileSchema }),
  },
  /** Create (no id) or update (id) a profile. Secrets are set separately with secretSet. */
  profilesSave: {
    request: z
      .object({
        id: profileIdSchema.optional(),
        profile: hopProfileInputSchema,
        /** Optimistic concurrency: refuse the update when the stored profile changed since this time. */
        expectedUpdatedAt: z.iso.datetime().optional(),
      })
      .strict(),
    response: z.object({
      profile: hopProfileSchema,
      created: z.boolean(),
      /** Roles whose stored secret was forgotten because the account changed. */
      secretsForgotten: z.array(secretRoleSchema),
      keychainProblem: keychainProblemSchema.optional(),
    }),
  },
  profilesDuplicate: {
    request: z
      .object({
        id: profileIdSchema,
        /** Defaults to "<name> (copy)". */
        name: profileNameSchema.optional(),
        /** Copy the remembered passwords to the new profile too (main copies them; they never leave main). */
        copySecrets: z.boolean().default(false),
      })
      .strict(),
    response: z.object({ profile: hopProfileSchema, keychainProblem: keychainProblemSchema.optional() }),
  },
  profilesRename: {
    request: z.object({ id: profileIdSchema, name: profileNameSchema }).strict(),
    response: z.object({ profile: hopProfileSchema }),
  },
  profilesDelete: {
    request: z.object({ id: profileIdSchema }).strict(),
    response: z.object({
      deleted: z.literal(true),
      /** False when the keychain could not be reached; keychainProblem then says what to do. */
      secretsRemoved: z.boolean(),
      keychainProblem: keychainProblemSchema.optional(),
    }),
  },
  /** Import from file content (the bootstrap shows the open dialog and reads the file). */
  profilesImport: {
    request: z
      .object({
        content: z.string().max(1_000_000, 'The file is larger than 1 MB; that is not a CredHop profile export.'),
        onConflict: conflictStrategySchema.default('keep-both'),
        /** Per-name choices that override onConflict, keyed by the name in the file. */
        decisions: z.record(z.string().max(1024), conflictStrategySchema).optional(),
        /** Only report what would happen. */
        dryRun: z.boolean().default(false),
      })
      .strict(),
    response: importResponseSchema,
  },
  /** Export to file content (the bootstrap shows the save dialog and writes it). Never contains secrets. */
  profilesExport: {
    request: z.object({ ids: z.array(profileIdSchema).max(10_000).optional() }).strict(),
    response: z.object({ content: z.string(), count: z.number().int(), suggestedFileName: z.string() }),
  },
  secretStatus: {
    request: z.object(secretRef).strict(),
    response: z.object({
      ...secretRef,
      /** The account the secret is for; null when the profile has no separate target account. */
      account: z.string().nullable(),
      stored: secretStoredSchema,
      keychainProblem: keychainProblemSchema.optional(),
    }),
  },
  secretSet: {
    request: z
      .object({
        ...secretRef,
        password: passwordSchema,
        /** Remember in the OS keychain; otherwise kept in main's memory until CredHop closes. */
        remember: z.boolean(),
      })
      .strict(),
    response: z.object({
      ...secretRef,
      stored: z.enum(['keychain', 'session']),
      /** Set when remember was asked but the keychain failed: the password is kept for this run only. */
      keychainProblem: keychainProblemSchema.optional(),
    }),
  },
  secretDelete: {
    request: z.object(secretRef).strict(),
    /** keychainProblem: the keychain could not be checked (this run's copy is forgotten all the same). */
    response: z.object({ ...secretRef, removed: z.boolean(), keychainProblem: keychainProblemSchema.optional() }),
  },
};

export type ImportResponse = z.output<typeof importResponseSchema>;
