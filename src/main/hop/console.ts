// "Open a session on the jump server": the interactive work the operator came for. On Windows, with
// real machines, CredHop starts a new PowerShell console running Enter-PSSession with CredSSP; the
// console itself asks for the password (Get-Credential), so it never travels on a command line. In
// practice mode, or off Windows, it only returns the command for the operator to copy.
import { spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import { win32 } from 'node:path';
import { psLiteral } from './quote';

export interface ConsoleTarget {
  /** The jump server exactly as CredHop connects to it (validated host name). */
  jumpServer: string;
  /** The jump server account (validated account name). */
  account: string;
}

export interface ConsoleResult {
  started: boolean;
  /** The PowerShell command the console runs (or the operator can copy). Never holds a password. */
  command: string;
  /** Why CredHop did not start a console itself. */
  reason?: string;
}

/** The Enter-PSSession command for a profile; values are quoted as PowerShell literals. */
export function consoleCommand(t: ConsoleTarget): string {
  const message = `CredHop: password for ${t.account} (CredSSP session on ${t.jumpServer})`;
  return [
    'Enter-PSSession',
    `-ComputerName ${psLiteral(t.jumpServer)}`,
    `-Credential (Get-Credential -UserName ${psLiteral(t.account)} -Message ${psLiteral(message)})`,
    '-Authentication CredSSP',
  ].join(' ');
}

/** Windows PowerShell by absolute path (never resolved through PATH: CredHop runs elevated). */
export function windowsPowerShellPath(env: Record<string, string | undefined>): string {
  const root = env.SystemRoot ?? env.windir ?? 'C:\\Windows';
  return win32.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/** The executable and argument array for the console (an array: nothing is parsed by a shell). */
export function consoleInvocation(t: ConsoleTarget, env: Record<string, string | undefined>): { file: string; args: string[] } {
  return { file: windowsPowerShellPath(env), args: ['-NoExit', '-Command', consoleCommand(t)] };
}

export type Spawner = (file: string, args: readonly string[], options: SpawnOptions) => { unref(): void; once(event: 'error', listener: (error: Error) => void): unknown };

export interface ConsoleDeps {
  platform: NodeJS.Platform;
  practiceMode: boolean;
  env?: Record<string, string | undefined>;
  spawn?: Spawner;
}

export async function openConsole(t: ConsoleTarget, deps: ConsoleDeps): Promise<ConsoleResult> {
  const command = consoleCommand(t);
  if (deps.practiceMode) {
    return {
      started: false,
      command,
      reason: 'Practice mode: the machines are simulated, so there is no real jump server to open a session on. On real machines CredHop opens a PowerShell window running this command.',
    };
  }
  if (deps.platform !== 'win32') {
    return { started: false, command, reason: 'CredHop opens a console only on Windows. Copy the command into Windows PowerShell on this computer.' };
  }
  const { file, args } = consoleInvocation(t, deps.env ?? process.env);
  const spawn = deps.spawn ?? (nodeSpawn as unknown as Spawner);
  try {
    await new Promise<void>((resolve, reject) => {
      // detached: on Windows the child gets its own console window and outlives CredHop.
      const child = spawn(file, args, { detached: true, stdio: 'ignore', windowsHide: false, shell: false });
      child.once('error', reject);
      // An executable that cannot start reports 'error' on the next tick; give it that tick.
      setTimeout(() => {
        child.unref();
        resolve();
      }, 50);
    });
    return { started: true, command };
  } catch {
    return { started: false, command, reason: `CredHop could not start ${file}. Copy the command into Windows PowerShell on this computer.` };
  }
}
