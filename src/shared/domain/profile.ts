// Hop profiles: the saved description of one second hop (client -> jump server -> target).
// The zod schemas built on the pure rules in ./profile-rules (re-exported here for main and the CLI).
// A profile never holds a secret: passwords live in the OS keychain (or main's memory for one run).
import { z } from 'zod';

import { PROFILE_LIMITS, checkHostName, checkTargetName, checkAccount, checkProfileName, checkProbeCommand, checkNotes, sameProfileName, type Check } from './profile-rules';

export { PROFILE_LIMITS, checkHostName, checkTargetName, isIPv4, isLocalAccountOf, checkAccount, checkProfileName, checkProbeCommand, checkNotes, sameProfileName } from './profile-rules';
export type { Check, HostKind, AccountForm } from './profile-rules';

function refined(check: (value: string) => Check) {
  return (value: string, ctx: z.RefinementCtx) => {
    const result = check(value);
    if (!result.ok) ctx.addIssue({ code: 'custom', message: result.message });
  };
}

// Length caps come first so hostile megabyte inputs fail fast, before any per-character scan.
export const hostNameSchema = z.string().max(1024, 'The name is far too long.').trim().superRefine(refined(checkHostName));
/** The target: a name, never an address (see checkTargetName). */
export const targetNameSchema = z.string().max(1024, 'The name is far too long.').trim().superRefine(refined(checkTargetName));
export const accountSchema = z.string().max(1024, 'The account is far too long.').trim().superRefine(refined(checkAccount));
export const profileNameSchema = z.string().max(1024, 'The name is far too long.').trim().superRefine(refined(checkProfileName));
export const probeCommandSchema = z
  .string()
  .max(PROFILE_LIMITS.probeCommandMax * 4, 'The command is far too long.')
  .superRefine(refined(checkProbeCommand));
export const notesSchema = z.string().max(PROFILE_LIMITS.notesMax * 4, 'The notes are far too long.').superRefine(refined(checkNotes));
export const timeBoxMinutesSchema = z
  .number()
  .int('The time box is a whole number of minutes.')
  .min(PROFILE_LIMITS.timeBoxMin, `The time box is at least ${PROFILE_LIMITS.timeBoxMin} minute.`)
  .max(PROFILE_LIMITS.timeBoxMax, `The time box is at most ${PROFILE_LIMITS.timeBoxMax} minutes (8 hours).`);
export const profileIdSchema = z.uuid('A profile id is a UUID.');

/** The fields a user edits. Stored profiles add an id and timestamps. */
export const hopProfileFieldsSchema = z.object({
  name: profileNameSchema,
  /** The jump server, as the operator knows it (short name or FQDN). */
  jumpServer: hostNameSchema,
  /**
   * How CredHop reaches the jump server: exactly the spelling used for the WinRM connection and for
   * the `wsman/<name>` delegation entry (Windows matches the name as typed; the FQDN by default).
   */
  jumpServerConnectAs: hostNameSchema,
  /** The machine the probe runs on, reached from inside the jump server session. */
  target: targetNameSchema,
  /** The account for the jump server (its password is delegated on to the target). */
  jumpAccount: accountSchema,
  /** A different account for the target, or null to use the jump account. */
  targetAccount: accountSchema.nullable(),
  /** PowerShell the user runs on the target. Data, never interpolated into CredHop's own commands. */
  probeCommand: probeCommandSchema,
  /** How long CredSSP may stay switched on before CredHop restores, in minutes. */
  timeBoxMinutes: timeBoxMinutesSchema,
  notes: notesSchema,
});

export const hopProfileSchema = hopProfileFieldsSchema.extend({
  /** Stable across renames; journal entries and keychain entries refer to it. */
  id: profileIdSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** What the renderer (or CLI) sends to create or update a profile; optional fields get defaults. */
export const hopProfileInputSchema = z
  .object({
    name: profileNameSchema,
    jumpServer: hostNameSchema,
    /** Empty or missing: connect as `jumpServer`. */
    jumpServerConnectAs: z
      .union([hostNameSchema, z.literal('').transform(() => undefined)])
      .optional(),
    target: targetNameSchema,
    jumpAccount: accountSchema,
    /** Empty, null or missing: use the jump account for the target too. */
    targetAccount: z
      .union([accountSchema, z.literal('').transform(() => null), z.null()])
      .optional(),
    probeCommand: probeCommandSchema,
    timeBoxMinutes: timeBoxMinutesSchema.default(PROFILE_LIMITS.timeBoxDefault),
    notes: notesSchema.default(''),
  })
  .strict();

export type HopProfileFields = z.output<typeof hopProfileFieldsSchema>;
export type HopProfile = z.output<typeof hopProfileSchema>;
export type HopProfileInput = z.input<typeof hopProfileInputSchema>;

/** Turns a parsed input into the stored fields (defaults applied). */
export function fieldsFromInput(input: z.output<typeof hopProfileInputSchema>): HopProfileFields {
  return {
    name: input.name,
    jumpServer: input.jumpServer,
    jumpServerConnectAs: input.jumpServerConnectAs ?? input.jumpServer,
    target: input.target,
    jumpAccount: input.jumpAccount,
    targetAccount: input.targetAccount ?? null,
    probeCommand: input.probeCommand,
    timeBoxMinutes: input.timeBoxMinutes,
    notes: input.notes,
  };
}

/** Which account of a profile a secret belongs to. */
export const secretRoleSchema = z.enum(['jump', 'target']);
export type SecretRole = z.output<typeof secretRoleSchema>;

/** The account a role uses in a profile; null when the profile has no separate target account. */
export function accountForRole(profile: HopProfileFields, role: SecretRole): string | null {
  return role === 'jump' ? profile.jumpAccount : profile.targetAccount;
}

/** A password as typed: never empty, bounded, no NUL (it ends up in C strings and on a pipe). */
export const passwordSchema = z
  .string()
  .min(1, 'Enter the password.')
  .max(PROFILE_LIMITS.passwordMax, `The password may have at most ${PROFILE_LIMITS.passwordMax} characters.`)
  .refine((v) => !v.includes('\u0000'), 'The password contains a NUL character, which cannot be stored.');

/** A case-insensitive search over the fields an operator remembers a profile by. */
export function profileMatches(profile: HopProfileFields, query: string): boolean {
  const q = query.trim().toLocaleLowerCase('en');
  if (q === '') return true;
  const haystack = [
    profile.name,
    profile.jumpServer,
    profile.jumpServerConnectAs,
    profile.target,
    profile.jumpAccount,
    profile.targetAccount ?? '',
    profile.notes,
  ];
  return haystack.some((field) => field.toLocaleLowerCase('en').includes(q));
}
