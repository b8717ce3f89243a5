import { z } from 'zod';

export const powershellInfoSchema = z.object({
  found: z.boolean(),
  /** Absolute path of the executable CredHop will run, when found. */
  path: z.string().optional(),
  version: z.string().optional(),
  edition: z.string().optional(),
  /** "Windows PowerShell 5.1", "PowerShell 7.4 (LTS)": what the edition is called. */
  editionLabel: z.string().optional(),
  /** What that edition means for the operator (support, what runs elsewhere). */
  editionNote: z.string().optional(),
  /** One sentence for the operator: what was found, or what is missing and what to do. */
  summary: z.string(),
});

export const envReportSchema = z.object({
  platform: z.string(),
  practiceMode: z.boolean(),
  dataDir: z.string(),
  powershell: powershellInfoSchema,
});

export type EnvReport = z.infer<typeof envReportSchema>;

export const envContract = {
  envCheck: { request: z.object({}).strict(), response: envReportSchema },
};
