// The environment check: which PowerShell CredHop will use, in plain words.
import type { EnvReport } from '../../shared/contract/env';
import { isAppError } from '../errors';
import type { PowerShellEngine } from '../powershell/engine';
import { notFoundSummary, type ResolvedPowerShell } from '../powershell/resolve';

export interface EnvDeps {
  platform: NodeJS.Platform;
  dataDir: string;
  practiceMode: boolean;
  powershell: ResolvedPowerShell | null;
  configuredPowerShell?: string | undefined;
  engine: () => PowerShellEngine | null;
}

export async function checkEnvironment(deps: EnvDeps): Promise<EnvReport> {
  const base = { platform: deps.platform, practiceMode: deps.practiceMode, dataDir: deps.dataDir };
  const engine = deps.engine();
  if (!deps.powershell || !engine) {
    return { ...base, powershell: { found: false, summary: notFoundSummary(deps.platform, deps.configuredPowerShell) } };
  }
  const name = deps.powershell.kind === 'pwsh' ? 'PowerShell' : 'Windows PowerShell';
  try {
    const info = await engine.info({ timeoutMs: 30_000 });
    return {
      ...base,
      powershell: {
        found: true,
        path: deps.powershell.path,
        version: info.version,
        edition: info.edition,
        summary: `${name} ${info.version} is ready (${deps.powershell.path}).`,
      },
    };
  } catch (error) {
    const reason = isAppError(error) ? error.message : 'it did not start';
    return {
      ...base,
      powershell: {
        found: false,
        path: deps.powershell.path,
        summary: `${name} was found at ${deps.powershell.path} but could not be used: ${reason}`,
      },
    };
  }
}
