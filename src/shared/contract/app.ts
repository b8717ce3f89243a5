// The app's own lifecycle across the bridge: closing CredHop while changes are open. Main asks the
// window (QUIT_REQUEST_EVENT with a quitRequest), the window answers on appQuitAnswer, main acts.
import { z } from 'zod';
import { restoreReport } from './hop';

/** One open session as the close dialog shows it: whose changes, on which machines, until when. */
export const quitSession = z.object({
  session: z.string(),
  profileName: z.string(),
  jumpServer: z.string(),
  /** The machines CredHop changed for it, in plain words ("this computer", the jump server's name). */
  machines: z.array(z.string()),
  expiresAt: z.string(),
  practice: z.boolean(),
});
export type QuitSession = z.infer<typeof quitSession>;

/** Main → renderer: CredHop is being closed while changes are open. */
export const quitRequest = z.object({
  sessions: z.array(quitSession).min(1),
  /** When the last open change ends its time box: what "Keep until" names. */
  keepUntil: z.string(),
  /** Whether a scheduled restore on the machines puts everything back at its time even with CredHop closed. */
  scheduledRestore: z.boolean(),
});
export type QuitRequest = z.infer<typeof quitRequest>;

export const quitChoice = z.enum(['restore', 'keep', 'cancel']);
export type QuitChoice = z.infer<typeof quitChoice>;

export const appContract = {
  /**
   * The answer to a quit request. `restore` restores every open change (progress on the operationId)
   * and quits only when everything is back; `keep` quits leaving the changes to their time box;
   * `cancel` stays. `quitting` says whether CredHop is now closing.
   */
  appQuitAnswer: {
    request: z.object({ operationId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).optional(), choice: quitChoice }).strict(),
    response: z.object({ quitting: z.boolean(), report: restoreReport.nullable() }),
  },
};
