// Where CredHop keeps its data and finds its own files. One data folder for the app and the CLI, so a
// change made by one can be cleaned up by the other.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const PRODUCT_NAME = 'CredHop';

/** Electron's userData for productName CredHop, computed without Electron. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: Record<string, string | undefined> = process.env): string {
  if (env.CREDHOP_DATA_DIR) return resolve(env.CREDHOP_DATA_DIR);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}

export interface AppLayout {
  /** The app's own folder: working directory of PowerShell. */
  appRoot: string;
  /** CredHop's PowerShell module manifest. */
  modulePath: string;
  /** The practice lab's module manifest and its default lab file. */
  labModulePath: string;
  defaultLabFile: string;
  /** The second shipped lab: the managed workstation (WinRM stopped, TrustedHosts empty, a script's entry). */
  managedLabFile: string;
  /** The third: a workstation whose only PowerShell is Windows PowerShell 5.1. */
  windowsPowerShellLabFile: string;
}

/**
 * From the source tree (CLI, tests, unpackaged app) the files sit at the repository root; in the
 * packaged app electron-builder copies them to resources/ (see electron-builder.json extraResources).
 */
export function appLayout(root: string, packaged = false): AppLayout {
  const base = resolve(root);
  return packaged
    ? {
        appRoot: base,
        modulePath: join(base, 'powershell', 'CredHop', 'CredHop.psd1'),
        labModulePath: join(base, 'lab', 'CredHopLab.psd1'),
        defaultLabFile: join(base, 'lab', 'default-lab.json'),
        managedLabFile: join(base, 'lab', 'managed-workstation.json'),
        windowsPowerShellLabFile: join(base, 'lab', 'windows-powershell-only.json'),
      }
    : {
        appRoot: base,
        modulePath: join(base, 'resources', 'powershell', 'CredHop', 'CredHop.psd1'),
        labModulePath: join(base, 'tests', 'lab', 'CredHopLab.psd1'),
        defaultLabFile: join(base, 'tests', 'lab', 'default-lab.json'),
        managedLabFile: join(base, 'tests', 'lab', 'managed-workstation.json'),
        windowsPowerShellLabFile: join(base, 'tests', 'lab', 'windows-powershell-only.json'),
      };
}

/** The practice estate the scan reads in practice mode (next to the default lab), and its list of names. */
export function practiceEstate(layout: AppLayout): { labFile: string; namesFile: string } {
  const dir = dirname(layout.defaultLabFile);
  return { labFile: join(dir, 'practice-estate.json'), namesFile: join(dir, 'practice-estate.names.txt') };
}
