// The hop's domain types, shared by main (which decides) and the renderer (which shows).
import { z } from 'zod';

export const delegationListName = z.enum(['fresh', 'freshNtlm']);
export type DelegationListName = z.infer<typeof delegationListName>;

export const delegationEntry = z.object({ name: z.string(), value: z.string() });
export type DelegationEntry = z.infer<typeof delegationEntry>;

/** One delegation list in one store (local Group Policy or effective registry). */
export const delegationList = z.object({
  keyExists: z.boolean(),
  allow: z.number().int().nullable(),
  concatenate: z.number().int().nullable(),
  listKeyExists: z.boolean(),
  entries: z.array(delegationEntry),
});
export type DelegationList = z.infer<typeof delegationList>;

export const storePair = z.object({ effective: delegationList, local: delegationList });
export type StorePair = z.infer<typeof storePair>;

export const gpoRef = z.object({ id: z.string(), name: z.string().nullable() });

export const winrmServiceState = z.object({ status: z.string(), startType: z.string() });
export type WinRMServiceState = z.infer<typeof winrmServiceState>;

/**
 * The client's WinRM TrustedHosts list (WSMan:\localhost\Client\TrustedHosts): the comma-separated
 * string exactly as read (possibly empty; null when it could not be read), and whether a Group Policy
 * owns it (HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client, TrustedHosts/TrustedHostsList).
 */
export const trustedHostsState = z.object({ value: z.string().nullable(), policyOwned: z.boolean() });
export type TrustedHostsState = z.infer<typeof trustedHostsState>;

/** What GetHostState reads on the client: both WinRM flags, both lists in both stores, and the rest. */
export const hostState = z.object({
  computerName: z.string(),
  userName: z.string(),
  isElevated: z.boolean(),
  psVersion: z.string(),
  psEdition: z.string(),
  winrm: z.object({
    clientCredSSP: z.boolean().nullable(),
    serviceCredSSP: z.boolean().nullable(),
    clientPolicyAllowCredSSP: z.number().int().nullable(),
    servicePolicyAllowCredSSP: z.number().int().nullable(),
  }),
  delegation: z.object({ fresh: storePair, freshNtlm: storePair }),
  /**
   * This computer's WinRM service (stopped and Manual on most Windows 10/11 clients). Optional:
   * snapshots journaled before CredHop read it have none, and nothing is done to the service then.
   */
  winrmService: winrmServiceState.nullable().optional(),
  /**
   * Which domain GPO supplies each delegation list, from Windows' RSoP record (null: none does —
   * the local GPO or a script). rsopAvailable false: unknown. Optional for older snapshots.
   */
  policyOwners: z
    .object({ rsopAvailable: z.boolean(), fresh: gpoRef.nullable(), freshNtlm: gpoRef.nullable() })
    .nullable()
    .optional(),
  /** TrustedHosts, exactly. Optional: snapshots journaled before CredHop read it have none. */
  trustedHosts: trustedHostsState.nullable().optional(),
  /** Whether the Local Group Policy Editor is open (it rewrites Registry.pol when it closes); null: cannot tell. */
  policyEditorOpen: z.boolean().nullable().optional(),
  encryptionOracle: z.number().int().nullable(),
});
export type HostState = z.infer<typeof hostState>;

/** What CredHop reads on the jump server, over WinRM. */
export const serverState = z.object({
  computerName: z.string(),
  userName: z.string(),
  serviceCredSSP: z.boolean().nullable(),
  servicePolicyAllowCredSSP: z.number().int().nullable(),
  /** The jump server's own WinRM client TrustedHosts (read only; null: not readable; absent: older snapshot). */
  trustedHosts: z.string().nullable().optional(),
  /** The jump server endpoint's language mode (ConstrainedLanguage: App Control/AppLocker). Optional for older snapshots. */
  languageMode: z.string().nullish(),
  /** The execution policy a Group Policy sets for the jump server (MachinePolicy scope; 'Undefined' when none). */
  executionPolicy: z.string().nullish(),
});
export type ServerState = z.infer<typeof serverState>;

/** An error record from PowerShell, as data (codes and ids first: Windows is localized). */
export const errorRecord = z.object({
  message: z.string(),
  fullyQualifiedErrorId: z.string().nullable().optional(),
  errorCode: z.number().int().nullable().optional(),
  exceptionType: z.string().nullable().optional(),
  category: z.string().nullable().optional(),
  targetObject: z.unknown().optional(),
  origin: z.enum(['local', 'remote']).nullable().optional(),
});
export type ErrorRecordData = z.infer<typeof errorRecord>;

/** The state CredHop returns to: both machines, read before any change. */
export const snapshot = z.object({
  takenAt: z.string(),
  jumpServer: z.string(),
  client: hostState,
  server: serverState,
});
export type Snapshot = z.infer<typeof snapshot>;

/** One change CredHop makes. Each maps to one primitive and has an exact inverse from the snapshot. */
export const change = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('add-delegation'), host: z.literal('client'), list: delegationListName, spn: z.string() }),
  z.object({ kind: z.literal('client-credssp'), host: z.literal('client'), enabled: z.boolean() }),
  /** Start this computer's WinRM service (the WSMan: drive needs it); restore puts status and start type back. */
  z.object({ kind: z.literal('winrm-service'), host: z.literal('client'), running: z.literal(true) }),
  z.object({ kind: z.literal('server-credssp'), host: z.literal('server'), enabled: z.boolean() }),
  /**
   * Add exactly one entry (the jump server as CredHop connects to it; never * or a wildcard) to this
   * computer's TrustedHosts; restore puts the whole string back as it was.
   */
  z.object({ kind: z.literal('trusted-hosts'), host: z.literal('client'), entry: z.string() }),
  /** A one-shot scheduled task on that machine that restores it at the session's expiry; restore removes it. */
  z.object({ kind: z.literal('restore-task'), host: z.enum(['client', 'server']) }),
]);
export type Change = z.infer<typeof change>;

export const plannedChange = z.object({
  id: z.string(),
  step: z.enum(['client', 'server']),
  change,
  /** Plain words: what this does. */
  title: z.string(),
  /** The PowerShell it runs, readable by an administrator. */
  powershell: z.string(),
  risk: z.string().optional(),
});
export type PlannedChange = z.infer<typeof plannedChange>;

export const blocker = z.object({
  code: z.string(),
  /** Plain words: what is wrong. */
  message: z.string(),
  /** What an administrator must change. */
  resolution: z.string(),
});
export type Blocker = z.infer<typeof blocker>;

export const plan = z.object({
  jumpServer: z.string(),
  target: z.string(),
  spn: z.string(),
  changes: z.array(plannedChange),
  blockers: z.array(blocker),
  risks: z.array(z.string()),
  /** Set when explicit credentials on the inner call would do the job without any CredSSP change. */
  alternative: z.object({ recommended: z.boolean(), reason: z.string(), powershell: z.string() }),
});
export type Plan = z.infer<typeof plan>;

export const diagnosis = z.object({
  cause: z.string(),
  explanation: z.string(),
  fix: z.string(),
  fixable: z.boolean(),
  /** The id of the reference error (E1..E10, W1, or a connection failure). */
  id: z.string(),
  /** A change CredHop can apply to fix it, when fixable. */
  fixChange: change.optional(),
  /** A risk the operator must confirm before the fix is applied. */
  warning: z.string().optional(),
});
export type Diagnosis = z.infer<typeof diagnosis>;
