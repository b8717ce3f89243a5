// Chooses the PowerShell executable CredHop runs, by absolute path, and says why. CredHop runs elevated on
// Windows, so the PowerShell it starts there must come from a folder only administrators can change:
// where Windows' installers put PowerShell (Program Files, as registered in HKLM; the Windows folder),
// taken from Windows itself (windows-folders.ts), never from PATH (which holds the user-writable
// %LOCALAPPDATA%\Microsoft\WindowsApps) nor from environment variables, which a user can set for their own
// account and which reach an elevated process (a per-user `windir` is a known elevation trick).
// Pure: what exists and what a folder allows are passed in, so every rule is unit-tested on any OS.
import { existsSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import type { FolderVerdict } from './folder-acl';
import type { WindowsFolders } from './windows-folders';

export type PowerShellSource = 'configured' | 'bundled-tools' | 'program-files' | 'path' | 'system32';

export interface ResolvedPowerShell {
  path: string;
  /** pwsh = PowerShell 7; windows-powershell = Windows PowerShell 5.1. */
  kind: 'pwsh' | 'windows-powershell';
  /** Where it was found, for the settings screen. */
  source: PowerShellSource;
  /** Why this one, in plain words (doctor shows it). */
  why?: string;
}

/** A candidate that was passed over, and why (doctor shows it). */
export interface SkippedPowerShell {
  path: string;
  reason: string;
}

export interface PowerShellChoice {
  chosen: ResolvedPowerShell | null;
  skipped: SkippedPowerShell[];
}

export interface ResolveInput {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** The app's own folder; `.tools/pwsh` under it is where the setup script installs PowerShell (not on Windows). */
  appRoot: string;
  /** An explicit executable from settings or the command line; must be absolute. */
  configured?: string | undefined;
  exists?: (path: string) => boolean;
  /** Windows: the folders as Windows itself reports them. Without them nothing is trusted on Windows. */
  windows?: WindowsFolders | undefined;
  /** Windows: who may write into a folder; null when its permissions could not be read. */
  folderCheck?: ((folder: string) => FolderVerdict | null) | undefined;
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

function kindOf(path: string): ResolvedPowerShell['kind'] {
  return /powershell(\.exe)?$/i.test(path) ? 'windows-powershell' : 'pwsh';
}

/** "7.10.0" after "7.4.6": numeric, part by part; anything unreadable sorts last. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i] ?? 0) ? -1 : (pa[i] ?? 0);
    const y = Number.isNaN(pb[i] ?? 0) ? -1 : (pb[i] ?? 0);
    if (x !== y) return x - y;
  }
  return 0;
}

function windowsCandidates(input: ResolveInput): ResolvedPowerShell[] {
  const { join } = win32;
  const w = input.windows;
  const list: ResolvedPowerShell[] = [];
  if (!w) return list;
  const installs = [...w.pwshInstalls].sort((a, b) => compareVersions(b.version, a.version));
  for (const i of installs) {
    list.push({ path: join(i.folder, 'pwsh.exe'), kind: 'pwsh', source: 'program-files', why: `PowerShell ${i.version}, installed for all users (registered in HKLM by its installer), in a folder only administrators can change.` });
  }
  for (const pf of w.programFiles) {
    list.push({ path: join(pf, 'PowerShell', '7', 'pwsh.exe'), kind: 'pwsh', source: 'program-files', why: 'PowerShell 7 in Program Files, in a folder only administrators can change.' });
  }
  if (w.system32) {
    list.push({ path: join(w.system32, 'WindowsPowerShell', 'v1.0', 'powershell.exe'), kind: 'windows-powershell', source: 'system32', why: 'Windows PowerShell 5.1, part of Windows, from the Windows folder.' });
  }
  return list;
}

/** Candidates in order of preference; pure, so the order is unit-tested on any OS. */
export function candidates(input: ResolveInput): ResolvedPowerShell[] {
  const { join } = pathApi(input.platform);
  if (input.configured) {
    // An explicit choice is honoured or reported, never silently replaced.
    return [{ path: input.configured, kind: kindOf(input.configured), source: 'configured', why: 'The PowerShell set in CredHop\'s settings (or with --pwsh).' }];
  }
  if (input.platform === 'win32') return windowsCandidates(input);
  const list: ResolvedPowerShell[] = [
    { path: join(input.appRoot, '.tools', 'pwsh', 'pwsh'), kind: 'pwsh', source: 'bundled-tools', why: 'PowerShell 7 that scripts/setup.sh installed into this copy of CredHop (.tools/pwsh).' },
  ];
  for (const dir of pathDirs(input.platform, input.env)) {
    list.push({ path: join(dir, 'pwsh'), kind: 'pwsh', source: 'path', why: `The first pwsh on PATH (${dir}). CredHop never searches PATH on Windows, where it runs as administrator.` });
  }
  return list;
}

/** True when `path` lies inside `root` (Windows rules: case-insensitive, normalised, no `..` escapes). */
export function isInsideFolder(path: string, root: string): boolean {
  const p = win32.normalize(path).toLowerCase();
  const r = win32.normalize(root).replace(/\\+$/, '').toLowerCase();
  return p.startsWith(`${r}\\`) && !p.split('\\').includes('..');
}

/** Why a Windows candidate that exists must not run as administrator, or null when it may. */
function windowsRefusal(c: ResolvedPowerShell, input: ResolveInput): string | null {
  const w = input.windows;
  if (!w) return 'CredHop could not ask Windows where its system and Program Files folders are, so it trusts no PowerShell.';
  const windowsFolder = w.system32 ? win32.dirname(w.system32) : null;
  const roots = [...w.programFiles, ...(windowsFolder ? [windowsFolder] : [])];
  if (!roots.some((r) => isInsideFolder(c.path, r))) {
    return 'it is not under Program Files or the Windows folder, the places only administrators can change; CredHop runs PowerShell as administrator and never from a folder others may write to.';
  }
  const verdict = input.folderCheck?.(win32.dirname(c.path)) ?? null;
  if (verdict === null) {
    // Windows' own folder, found through the loader, is trusted even when icacls cannot answer.
    return c.source === 'system32' ? null : 'the permissions of its folder could not be read, so CredHop cannot tell who may change it.';
  }
  if (verdict.writableByOthers) return `its folder can be changed by ${verdict.who.join(', ')}, not only by administrators: a file planted there would run as administrator.`;
  return null;
}

const MISSING = 'it does not exist.';

export function choosePowerShell(input: ResolveInput): PowerShellChoice {
  const exists = input.exists ?? existsSync;
  const { isAbsolute } = pathApi(input.platform);
  const skipped: SkippedPowerShell[] = [];
  for (const c of candidates(input)) {
    if (!isAbsolute(c.path)) {
      skipped.push({ path: c.path, reason: 'not an absolute path.' });
      continue;
    }
    if (!exists(c.path)) {
      if (c.source === 'configured') skipped.push({ path: c.path, reason: MISSING });
      continue;
    }
    const refusal = input.platform === 'win32' ? windowsRefusal(c, input) : null;
    if (refusal) {
      skipped.push({ path: c.path, reason: refusal });
      continue;
    }
    return { chosen: c, skipped };
  }
  return { chosen: null, skipped };
}

export function resolvePowerShell(input: ResolveInput): ResolvedPowerShell | null {
  return choosePowerShell(input).chosen;
}

export function notFoundSummary(platform: NodeJS.Platform, configured?: string, skipped: readonly SkippedPowerShell[] = []): string {
  if (configured) {
    const refusal = skipped.find((s) => s.path === configured && s.reason !== MISSING);
    return refusal
      ? `The PowerShell set in the settings (${configured}) cannot be used: ${refusal.reason} Choose another under Program Files, or clear the setting to let CredHop search.`
      : `The PowerShell set in the settings (${configured}) was not found. Choose another, or clear the setting to let CredHop search.`;
  }
  const passed = skipped.length > 0 ? ` Passed over: ${skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}` : '';
  return platform === 'win32'
    ? `No PowerShell that is safe to run as administrator was found. Windows PowerShell 5.1 should always be present in the Windows folder's System32\\WindowsPowerShell\\v1.0; or install PowerShell 7 for all users (the MSI, into Program Files).${passed}`
    : `No PowerShell was found. Run \`bash scripts/setup.sh\` to install PowerShell 7 into .tools/pwsh, or install pwsh on the PATH.${passed}`;
}
