// What the scan primitive streams back per machine, validated: the item line, and the machine's own
// answer inside it (JSON text from a remote machine: untrusted data, parsed and checked here).
import { z } from 'zod';
import { errorRecord } from '../../shared/domain/hop';

export const scanItem = z.object({
  elapsedMs: z.number(),
  computer: z.string().nullable(),
  ok: z.boolean(),
  error: errorRecord.optional(),
  data: z.string().optional(),
  resolves: z.record(z.string(), z.boolean().nullable()).optional(),
});
export type ScanItem = z.infer<typeof scanItem>;

const regValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.unknown()), z.null()]);
/** A registry key's values by name; null: no such key; 'unreadable': it could not be read. */
const regKey = z.union([z.record(z.string(), regValue), z.literal('unreadable'), z.null()]).optional().transform((v) => v ?? null);

const polRecord = z.object({ key: z.string(), name: z.string(), type: z.number(), data: z.union([z.string(), z.number(), z.null()]) });

export const machineRaw = z.object({
  computerName: z.string().max(300).default(''),
  serviceCredSSP: z.boolean().nullable().default(null),
  clientCredSSP: z.boolean().nullable().default(null),
  winrmServicePolicy: regKey,
  winrmClientPolicy: regKey,
  delegation: regKey,
  fresh: regKey,
  freshNtlm: regKey,
  oracle: regKey,
  localPolicy: z.union([z.array(polRecord), polRecord.transform((r) => [r]), z.literal('unreadable'), z.null()]).optional().transform((v) => v ?? null),
  tasks: z.union([z.array(z.string()), z.string().transform((s) => [s]), z.null()]).optional().transform((v) => v ?? null),
});
export type MachineRaw = z.infer<typeof machineRaw>;

/** The machine's answer, or null when it is not what the scan script sends. */
export function decodeMachine(text: string): MachineRaw | null {
  try {
    const parsed = machineRaw.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
