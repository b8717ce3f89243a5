// Finds the PowerShell executable by absolute path. Never trusts NODE_POWERSHELL or a relative name:
// the app runs elevated, so a pwsh planted in the working directory or PATH order must not win silently.
import { existsSync } from 'node:fs';
import { posix, win32 } from 'node:path';

export interface ResolvedPowerShell {
  path: string;
  /** pwsh = PowerShell 7; windows-powershell = Windows PowerShell 5.1. */
  kind: 'pwsh' | 'windows-powershell';
  /** Where it was found, for the settings screen. */
  source: 'configured' | 'bundled-tools' | 'program-files' | 'path' | 'system32';
}

export interface ResolveInput {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** The app's own folder; `.tools/pwsh` under it is where the setup script installs PowerShell. */
  appRoot: string;
  /** An explicit executable from settings or the command line; must be absolute. */
  configured?: string | undefined;
  exists?: (path: string) => boolean;
}

/** Path rules of the target platform (not of the machine running the code), so tests cover Windows anywhere. */
function pathApi(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix;
}

function pathDirs(platform: NodeJS.Platform, env: Record<string, string | undefined>): string[] {
  const p = pathApi(platform);
  const raw = env.PATH ?? env.Path ?? '';
  return raw.split(p.delimiter).filter((d) => d !== '' && p.isAbsolute(d));
}

/** Candidates in order of preference; pure, so the order is unit-tested on any OS. */
export function candidates(input: ResolveInput): ResolvedPowerShell[] {
  const list: ResolvedPowerShell[] = [];
  const win = input.platform === 'win32';
  const { join } = pathApi(input.platform);
  if (input.configured) {
    list.push({ path: input.configured, kind: /powershell(\.exe)?$/i.test(input.configured) ? 'windows-powershell' : 'pwsh', source: 'configured' });
    return list; // an explicit choice is honoured or reported missing, never silently replaced
  }
  list.push({ path: join(input.appRoot, '.tools', 'pwsh', win ? 'pwsh.exe' : 'pwsh'), kind: 'pwsh', source: 'bundled-tools' });
  if (win) {
    for (const base of [input.env.ProgramFiles, input.env.ProgramW6432]) {
      if (base) list.push({ path: join(base, 'PowerShell', '7', 'pwsh.exe'), kind: 'pwsh', source: 'program-files' });
    }
  }
  for (const dir of pathDirs(input.platform, input.env)) {
    list.push({ path: join(dir, win ? 'pwsh.exe' : 'pwsh'), kind: 'pwsh', source: 'path' });
  }
  if (win) {
    const root = input.env.SystemRoot ?? input.env.windir ?? 'C:\\Windows';
    list.push({ path: join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe'), kind: 'windows-powershell', source: 'system32' });
  }
  return list;
}

export function resolvePowerShell(input: ResolveInput): ResolvedPowerShell | null {
  const exists = input.exists ?? existsSync;
  const { isAbsolute } = pathApi(input.platform);
  for (const c of candidates(input)) {
    if (isAbsolute(c.path) && exists(c.path)) return c;
  }
  return null;
}

export function notFoundSummary(platform: NodeJS.Platform, configured?: string): string {
  if (configured) return `The PowerShell set in the settings (${configured}) was not found. Choose another, or clear the setting to let CredHop search.`;
  return platform === 'win32'
    ? 'No PowerShell was found. Windows PowerShell 5.1 should always be present; check that C:\\Windows\\System32\\WindowsPowerShell\\v1.0 exists, or install PowerShell 7.'
    : 'No PowerShell was found. Run `bash scripts/setup.sh` to install PowerShell 7 into .tools/pwsh, or install pwsh on the PATH.';
}
