// The estate scan's report: per machine, what was read and what it means (findings). Shared by main,
// the command line and the renderer; decided in src/main/scan/findings.ts.
import { z } from 'zod';

export const FINDING_KINDS = [
  'server-credssp',
  'server-credssp-gpo',
  'client-credssp',
  'client-credssp-gpo',
  'client-delegates',
  'wildcard-entry',
  'duplicate-entry',
  'stale-entry',
  'encryption-oracle-vulnerable',
  'credhop-task',
  'credhop-session',
  'unreachable',
  'access-denied',
  'not-found',
  'scan-failed',
] as const;
export const findingKind = z.enum(FINDING_KINDS);
export type FindingKind = z.infer<typeof findingKind>;

/** Short names for filters and the CSV. */
export const FINDING_TITLES: Record<FindingKind, string> = {
  'server-credssp': 'Accepts CredSSP',
  'server-credssp-gpo': 'Accepts CredSSP (forced by a GPO)',
  'client-credssp': 'WinRM client allows CredSSP',
  'client-credssp-gpo': 'WinRM client CredSSP forced by a GPO',
  'client-delegates': 'May delegate credentials',
  'wildcard-entry': 'Wildcard delegation entry',
  'duplicate-entry': 'Duplicate delegation entry',
  'stale-entry': 'Entry for a name that no longer resolves',
  'encryption-oracle-vulnerable': 'CVE-2018-0886 protection weakened',
  'credhop-task': 'CredHop restore task left',
  'credhop-session': "CredHop's own open session",
  unreachable: 'Unreachable',
  'access-denied': 'Access denied',
  'not-found': 'Name not found',
  'scan-failed': 'Could not be read',
};

export const finding = z.object({
  kind: findingKind,
  /** Plain words: what is the case and why it matters. */
  explanation: z.string(),
  /** What to do, as PowerShell an administrator can run (or, for CredHop's own sessions, CredHop's command). */
  fix: z.string(),
  /** The CredHop session this belongs to (credhop-session): one-click restore applies. */
  session: z.string().optional(),
});
export type Finding = z.infer<typeof finding>;

export const delegationEntryView = z.object({
  list: z.enum(['fresh', 'freshNtlm']),
  store: z.enum(['registry', 'local-gpo']),
  name: z.string(),
  value: z.string(),
});
export type DelegationEntryView = z.infer<typeof delegationEntryView>;

export const machineReport = z.object({
  computer: z.string(),
  /** answered: read; failed: unreachable, denied, not found, or another error. */
  status: z.enum(['answered', 'failed']),
  serviceCredSSP: z.boolean().nullable(),
  clientCredSSP: z.boolean().nullable(),
  entries: z.array(delegationEntryView),
  encryptionOracle: z.number().int().nullable(),
  /** CredHop restore tasks; null: unknown (no Task Scheduler cmdlets there). */
  credhopTasks: z.array(z.string()).nullable(),
  findings: z.array(finding),
  /** Milliseconds after the scan started when this machine's answer arrived. */
  elapsedMs: z.number(),
});
export type MachineReport = z.infer<typeof machineReport>;

export const inputProblem = z.object({ line: z.number().int(), text: z.string(), message: z.string() });
export type InputProblem = z.infer<typeof inputProblem>;

export const scanReport = z.object({
  startedAt: z.string(),
  finishedAt: z.string(),
  practice: z.boolean(),
  throttle: z.number().int(),
  total: z.number().int(),
  /** false when cancelled (or stopped by an error): the machines listed are those that answered before. */
  complete: z.boolean(),
  machines: z.array(machineReport),
  /** Lines of the input that were not valid names (not scanned). */
  inputProblems: z.array(inputProblem),
  stoppedBecause: z.string().nullable(),
});
export type ScanReport = z.infer<typeof scanReport>;

export const SCAN_LIMITS = { throttleDefault: 32, throttleMin: 1, throttleMax: 256, maxComputers: 5000 } as const;
