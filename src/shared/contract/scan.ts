// IPC contract for the estate scan (the Scan view, outside the six steps): start a scan of a typed or
// pasted list (progress as ordinary progress events: machines done/total and the slowest still running),
// cancel it (what arrived is kept and returned), and the practice estate's list of names.
import { z } from 'zod';
import { scanReport, SCAN_LIMITS } from '../domain/scan';

const operationId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);

export const scanContract = {
  scanStart: {
    request: z
      .object({
        operationId,
        /** The list as typed, pasted or read from a file: one name a line, or a CSV with a name column. */
        text: z.string().max(1_000_000, 'The list is too long: split it.'),
        throttle: z.number().int().min(SCAN_LIMITS.throttleMin).max(SCAN_LIMITS.throttleMax).optional(),
      })
      .strict(),
    response: scanReport,
  },
  scanCancel: {
    request: z.object({ operationId }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
  scanPracticeList: {
    request: z.object({}).strict(),
    /** The practice estate's names (practice mode only; null in real mode). */
    response: z.object({ text: z.string().nullable() }),
  },
};
