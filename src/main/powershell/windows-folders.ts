// Asks Windows itself where its folders and PowerShell installations are, and who may write into a
// folder: the facts resolve.ts decides on. Never from environment variables (a user can set `windir`,
// `SystemRoot` or `ProgramFiles` for their own account, and those reach an elevated process). The Windows
// folder comes from the loader (the folder ntdll.dll was mapped from, which the kernel decides); Program
// Files and PowerShell 7's installations from HKLM, read with that folder's reg.exe; a folder's
// permissions from its icacls. The parsers are pure and unit-tested; the reads run on Windows only.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { win32 } from 'node:path';
import { folderWritableByOthers, type FolderVerdict } from './folder-acl';

export interface WindowsFolders {
  /** e.g. C:\Windows\System32: where the loader took ntdll.dll from. */
  system32: string | null;
  /** Program Files folders from HKLM (ProgramFilesDir, ProgramW6432Dir). */
  programFiles: string[];
  /** PowerShell 7 installations their installer registered in HKLM. */
  pwshInstalls: Array<{ folder: string; version: string }>;
}

/** The System32 folder, from the paths of the libraries this process has loaded. */
export function system32FromModules(paths: readonly string[]): string | null {
  const ntdll = paths.find((p) => /^[a-z]:\\.*\\ntdll\.dll$/i.test(p));
  return ntdll ? win32.dirname(ntdll) : null;
}

export interface RegKey {
  key: string;
  values: Record<string, string>;
}

/** `reg query` output (language-independent: key paths, value names, REG_ types, data). */
export function parseRegQuery(text: string): RegKey[] {
  const keys: RegKey[] = [];
  let current: RegKey | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^HKEY_/i.test(raw)) {
      current = { key: raw.trim(), values: {} };
      keys.push(current);
      continue;
    }
    const m = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(raw);
    if (m && current && m[1] !== undefined) current.values[m[1].toLowerCase()] = m[3] ?? '';
  }
  return keys;
}

/** Program Files folders and PowerShell 7 installations from the two `reg query` answers. */
export function foldersFromRegistry(currentVersion: string, powershellCore: string): Pick<WindowsFolders, 'programFiles' | 'pwshInstalls'> {
  const cv = parseRegQuery(currentVersion)[0]?.values ?? {};
  const programFiles = [...new Set([cv.programfilesdir, cv.programw6432dir].filter((x): x is string => typeof x === 'string' && /^[a-z]:\\/i.test(x)))];
  const pwshInstalls = parseRegQuery(powershellCore)
    .map((k) => ({ folder: k.values.installlocation ?? '', version: k.values.semanticversion ?? '' }))
    .filter((i) => /^[a-z]:\\/i.test(i.folder) && i.version !== '')
    .map((i) => ({ folder: i.folder.replace(/\\+$/, ''), version: i.version }));
  return { programFiles, pwshInstalls };
}

/** The SDDL line of an `icacls <folder> /save <file>` file (UTF-16LE: name line, then `D:...`). */
export function sddlFromIcaclsSave(bytes: Buffer): string | null {
  const text = bytes.includes(0) ? bytes.toString('utf16le') : bytes.toString('utf8');
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.startsWith('D:')) ?? null;
}

function run(exe: string, args: string[]): string {
  return execFileSync(exe, args, { encoding: 'utf8', windowsHide: true, timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Reads the folders on Windows. Each part that cannot be read is left empty (nothing is then trusted there). */
export function readWindowsFolders(): WindowsFolders {
  let system32: string | null = null;
  try {
    const report = process.report?.getReport() as { sharedObjects?: string[] } | undefined;
    system32 = system32FromModules(report?.sharedObjects ?? []);
  } catch {
    system32 = null;
  }
  if (!system32) return { system32: null, programFiles: [], pwshInstalls: [] };
  const reg = win32.join(system32, 'reg.exe');
  const query = (key: string, all: boolean): string => {
    try {
      return run(reg, ['query', key, ...(all ? ['/s'] : []), '/reg:64']);
    } catch {
      return '';
    }
  };
  return {
    system32,
    ...foldersFromRegistry(query('HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion', false), query('HKLM\\SOFTWARE\\Microsoft\\PowerShellCore\\InstalledVersions', true)),
  };
}

/**
 * Who may write into a folder, by its icacls. The answer file goes to the Windows folder's Temp, where
 * a file an administrator creates cannot be changed by users (so nobody can swap the answer), under a
 * random name. Null when it cannot be read.
 */
export function checkFolder(system32: string, folder: string): FolderVerdict | null {
  const out = win32.join(win32.dirname(system32), 'Temp', `credhop-acl-${randomBytes(8).toString('hex')}.txt`);
  try {
    run(win32.join(system32, 'icacls.exe'), [folder, '/save', out]);
    const sddl = sddlFromIcaclsSave(readFileSync(out));
    return sddl ? folderWritableByOthers(sddl) : null;
  } catch {
    return null;
  } finally {
    rmSync(out, { force: true });
  }
}
