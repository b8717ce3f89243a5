// The hop's IPC channels. Requests never carry a password (the renderer sets it with secretSet and
// main reads it from the vault), and never carry a plan: main keeps the checked plan under a checkId,
// so the renderer can only choose among changes main itself proposed.
import { z } from 'zod';
import { change, diagnosis, errorRecord, hostState, plan, serverState, snapshot } from '../domain/hop';

const operationId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/).optional();
const checkId = z.string().uuid();
const wildcardSpn = z.string().regex(/^wsman\/(\*|\*\.[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+)$/i, 'A wildcard looks like wsman/*.company.pri.');

export const sessionSummary = z.object({
  session: z.string(),
  /** The profile the session was opened for (the home screen shows each profile's state by it). */
  profileId: z.string(),
  profileName: z.string(),
  jumpServer: z.string(),
  target: z.string(),
  startedAt: z.string(),
  expiresAt: z.string(),
  practice: z.boolean(),
  changes: z.array(change),
});
export type SessionSummary = z.infer<typeof sessionSummary>;

export const restoreReport = z.object({
  sessions: z.array(z.object({
    session: z.string(),
    profileName: z.string(),
    complete: z.boolean(),
    differences: z.array(z.string()),
    operations: z.array(z.string()),
    /** Set when the scheduled tasks restored the machines while CredHop was not running: when, and what they left alone. */
    safetyNet: z.object({ restoredAt: z.string(), notes: z.array(z.string()) }).optional(),
  })),
  clean: z.boolean(),
});
export type RestoreReportData = z.infer<typeof restoreReport>;

export const applyResponse = z.object({
  session: z.string(),
  expiresAt: z.string(),
  applied: z.array(z.object({ change, ok: z.boolean() })),
  verified: z.boolean(),
  client: hostState,
  server: serverState.nullable(),
  /** The scheduled restore this step armed on its machine (Task Scheduler), or null when it armed none. */
  safetyNet: z.object({ host: z.string(), at: z.string() }).nullable(),
});
export type ApplyResponse = z.infer<typeof applyResponse>;

export const testResponse = z.object({
  ok: z.boolean(),
  mode: z.enum(['credssp', 'explicit', 'kerberos']),
  /** The probe's output, each item as JSON text (the renderer shows it, never evaluates it). */
  output: z.array(z.string()),
  errors: z.array(errorRecord),
  diagnosis: diagnosis.optional(),
});
export type TestResponse = z.infer<typeof testResponse>;

export const checkResponse = z.object({
  checkId,
  snapshot: snapshot.nullable(),
  plan: plan.nullable(),
  credSSPView: z.array(z.string()),
  diagnosis: diagnosis.optional(),
});
export type CheckResponse = z.infer<typeof checkResponse>;

export const hopContract = {
  hopStatus: {
    request: z.object({}).strict(),
    response: z.object({
      practiceMode: z.boolean(),
      open: z.array(sessionSummary),
      /** Changes whose time box ran out while CredHop was closed, restored at start. */
      restoredAtStart: restoreReport.nullable(),
    }),
  },
  hopCheck: {
    request: z
      .object({
        operationId,
        profileId: z.string().uuid(),
        wildcard: z.object({ spn: wildcardSpn, confirmed: z.boolean() }).strict().optional(),
        ntlmOnlyConfirmed: z.boolean().optional(),
      })
      .strict(),
    response: checkResponse,
  },
  hopApply: {
    request: z.object({ operationId, checkId, step: z.enum(['client', 'server']), timeboxMinutes: z.number().int().min(1).max(480).optional() }).strict(),
    response: applyResponse,
  },
  hopTest: {
    request: z.object({ operationId, checkId, mode: z.enum(['credssp', 'explicit', 'kerberos']) }).strict(),
    response: testResponse,
  },
  hopFix: {
    request: z.object({ operationId, checkId, confirmWarning: z.boolean() }).strict(),
    response: applyResponse,
  },
  hopRestore: {
    request: z.object({ operationId }).strict(),
    response: restoreReport,
  },
  /** Stops a running check, step, test or clean-up (PowerShell is stopped; Clean up now puts back anything already changed). */
  hopCancel: {
    request: z.object({ operationId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  hopRunbook: {
    request: z.object({ checkId }).strict(),
    response: z.object({ content: z.string(), suggestedFileName: z.string() }),
  },
  /**
   * Opens an interactive CredSSP session on the jump server for the checked profile: a new PowerShell
   * console on Windows (it asks for the password itself); otherwise only the command to copy, and why.
   */
  hopOpenConsole: {
    request: z.object({ checkId }).strict(),
    response: z.object({ started: z.boolean(), command: z.string(), reason: z.string().optional() }),
  },
  auditExport: {
    request: z.object({}).strict(),
    response: z.object({ content: z.string(), suggestedFileName: z.string() }),
  },
};
