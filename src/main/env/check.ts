// The environment check: which PowerShell CredHop will use, in plain words, with the language mode and
// the execution policy it runs under (a Group Policy execution policy or App Control can stop CredHop).
import { z } from 'zod';
import type { EnvReport } from '../../shared/contract/env';
import { isAppError } from '../errors';
import type { PowerShellEngine } from '../powershell/engine';
import { parseAnswer } from '../powershell/protocol';
import { editionNote } from '../powershell/editions';
import { notFoundSummary, type ResolvedPowerShell, type SkippedPowerShell } from '../powershell/resolve';
import { START_REPORT } from '../powershell/startup';

export interface EnvDeps {
  platform: NodeJS.Platform;
  dataDir: string;
  practiceMode: boolean;
  powershell: ResolvedPowerShell | null;
  powershellSkipped?: readonly SkippedPowerShell[];
  configuredPowerShell?: string | undefined;
  engine: () => PowerShellEngine | null;
}

const startSchema = z.object({ languageMode: z.string(), executionPolicy: z.string(), policyScope: z.string() });
export type PowerShellPolicy = z.infer<typeof startSchema>;

/** The language mode and effective execution policy CredHop's shell read before importing its module. */
export async function readPowerShellPolicy(engine: PowerShellEngine): Promise<PowerShellPolicy | null> {
  const answer = parseAnswer(await engine.shell.run(START_REPORT, { timeoutMs: 30_000 }));
  if (!answer || !answer.ok) return null;
  const parsed = startSchema.safeParse(answer.data);
  return parsed.success ? parsed.data : null;
}

/** "Language mode: FullLanguage. Execution policy: Bypass (set for this process)." */
export function describePolicy(policy: PowerShellPolicy | null): string {
  if (!policy) return 'Language mode and execution policy: unknown.';
  const scope =
    policy.policyScope === 'MachinePolicy' || policy.policyScope === 'UserPolicy'
      ? `set by Group Policy, ${policy.policyScope}`
      : policy.policyScope === 'Process'
        ? 'set for this process'
        : policy.policyScope === ''
          ? 'no scope sets one'
          : `scope ${policy.policyScope}`;
  return `Language mode: ${policy.languageMode}. Execution policy: ${policy.executionPolicy} (${scope}).`;
}

export async function checkEnvironment(deps: EnvDeps): Promise<EnvReport> {
  const base = { platform: deps.platform, practiceMode: deps.practiceMode, dataDir: deps.dataDir };
  const engine = deps.engine();
  if (!deps.powershell || !engine) {
    return { ...base, powershell: { found: false, summary: notFoundSummary(deps.platform, deps.configuredPowerShell, deps.powershellSkipped) } };
  }
  const name = deps.powershell.kind === 'pwsh' ? 'PowerShell' : 'Windows PowerShell';
  try {
    const info = await engine.info({ timeoutMs: 30_000 });
    const policy = await readPowerShellPolicy(engine).catch(() => null);
    const note = editionNote(info.version, info.edition);
    return {
      ...base,
      powershell: {
        found: true,
        path: deps.powershell.path,
        version: info.version,
        edition: info.edition,
        editionLabel: note.label,
        editionNote: note.meaning,
        summary: `${name} ${info.version} is ready (${deps.powershell.path}): ${note.label}, ${info.edition} edition. ${note.meaning} ${describePolicy(policy)}`,
      },
    };
  } catch (error) {
    const reason = isAppError(error) ? error.message : 'it did not start';
    const hint = isAppError(error) && error.hint ? ` ${error.hint}` : '';
    return {
      ...base,
      powershell: {
        found: false,
        path: deps.powershell.path,
        summary: `${name} was found at ${deps.powershell.path} but could not be used: ${reason}${hint}`,
      },
    };
  }
}
