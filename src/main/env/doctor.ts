// `credhop doctor`: a read-only self-test of what CredHop depends on, one line each, saying OK or what
// to do. The PowerShell probe is one constant command (no value of the user's in it), run through the
// app's own shell the way PowerShellEngine.info runs its version probe. Nothing is changed anywhere:
// the data folder test writes and removes one temporary file of CredHop's own.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isAppError } from '../errors';
import type { HopEngine } from '../hop/engine';
import type { PowerShellEngine } from '../powershell/engine';
import { parseAnswer } from '../powershell/protocol';
import { editionNote, ELSEWHERE } from '../powershell/editions';
import { notFoundSummary, type ResolvedPowerShell, type SkippedPowerShell } from '../powershell/resolve';
import type { AppLayout } from '../paths';
import type { Vault } from '../vault/vault';
import { CREDHOP_VERSION } from '../version';

export type DoctorLevel = 'ok' | 'warn' | 'fail' | 'n/a';

export interface DoctorLine {
  check: 'powershell' | 'edition' | 'elevation' | 'language-mode' | 'execution-policy' | 'winrm' | 'keychain' | 'data-folder' | 'practice-lab';
  level: DoctorLevel;
  /** What was found, in plain words. */
  found: string;
  /** What to do, when something is not OK. */
  todo?: string;
}

export interface DoctorReport {
  /** CredHop's version (the app's and the command line's). */
  version: string;
  practiceMode: boolean;
  platform: string;
  lines: DoctorLine[];
  /** True when no line failed (warnings do not fail the self-test). */
  ok: boolean;
}

/** Read-only facts about the shell, as one line of JSON. Constant text: nothing is interpolated. */
export const DOCTOR_PROBE = [
  "$credhopWin = ($PSVersionTable.PSEdition -eq 'Desktop') -or ($IsWindows -eq $true)",
  '$credhopElevated = $null',
  "try { if ($credhopWin) { $credhopElevated = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator) } } catch { $credhopElevated = $null }",
  '$credhopWinRM = $null',
  "try { if ($credhopWin) { $credhopWinRM = [string](Microsoft.PowerShell.Management\\Get-Service -Name WinRM -ErrorAction Stop).Status } } catch { $credhopWinRM = 'missing' }",
  "$credhopMachinePolicy = try { [string](Microsoft.PowerShell.Security\\Get-ExecutionPolicy -Scope MachinePolicy) } catch { '' }",
  "[Console]::Out.WriteLine('CREDHOP:' + (ConvertTo-Json -Compress -InputObject @{ ok = $true; data = @{ version = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition; windows = [bool]$credhopWin; languageMode = [string]$ExecutionContext.SessionState.LanguageMode; executionPolicy = [string](Microsoft.PowerShell.Security\\Get-ExecutionPolicy); machinePolicy = $credhopMachinePolicy; elevated = $credhopElevated; winrm = $credhopWinRM } }))",
].join('; ');

const probeAnswer = z.object({
  version: z.string(),
  edition: z.string(),
  windows: z.boolean(),
  languageMode: z.string(),
  executionPolicy: z.string(),
  machinePolicy: z.string(),
  elevated: z.boolean().nullable(),
  winrm: z.string().nullable(),
});

export interface DoctorDeps {
  platform: NodeJS.Platform;
  dataDir: string;
  practiceMode: boolean;
  layout: AppLayout;
  powershell: ResolvedPowerShell | null;
  /** PowerShells found but passed over, and why. */
  powershellSkipped?: readonly SkippedPowerShell[];
  configuredPowerShell?: string | undefined;
  engine: () => PowerShellEngine | null;
  hop: () => HopEngine | null;
  vault: Vault;
}

const PROBE_PROFILE = '00000000-0000-4000-8000-000000000000';

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const lines: DoctorLine[] = [];
  const engine = deps.engine();
  let probe: z.output<typeof probeAnswer> | null = null;
  let probeProblem = '';
  if (!deps.powershell || !engine) {
    lines.push({ check: 'powershell', level: 'fail', found: 'No PowerShell was found.', todo: notFoundSummary(deps.platform, deps.configuredPowerShell, deps.powershellSkipped) });
  } else {
    try {
      const answer = parseAnswer(await engine.shell.run(DOCTOR_PROBE, { timeoutMs: 60_000 }));
      const parsed = answer && answer.ok ? probeAnswer.safeParse(answer.data) : null;
      if (parsed?.success) probe = parsed.data;
      else probeProblem = 'it gave no readable answer';
    } catch (error) {
      probeProblem = isAppError(error) ? error.message : 'it did not start';
    }
    const name = deps.powershell.kind === 'pwsh' ? 'PowerShell' : 'Windows PowerShell';
    // Which PowerShell was chosen and why, and what was passed over (CredHop runs it as administrator).
    const why = deps.powershell.why ? ` Why this one: ${deps.powershell.why}` : '';
    const passed = (deps.powershellSkipped ?? []).map((s) => ` Passed over ${s.path}: ${s.reason}`).join('');
    lines.push(
      probe
        ? { check: 'powershell', level: 'ok', found: `${name} ${probe.version} (${probe.edition}) at ${deps.powershell.path}, with CredHop's module${deps.practiceMode ? ' and the practice lab' : ''} loaded.${why}${passed}` }
        : { check: 'powershell', level: 'fail', found: `${name} at ${deps.powershell.path} could not be used: ${probeProblem}`, todo: 'Reinstall CredHop, or name another PowerShell with --pwsh <path>.' },
    );
    if (probe) {
      const note = editionNote(probe.version, probe.edition);
      lines.push({
        check: 'edition',
        level: note.level,
        found: `${deps.practiceMode ? 'Practice (the lab\'s client): ' : ''}${note.label}. ${note.meaning} ${ELSEWHERE}`,
        ...(note.level === 'warn' ? { todo: 'Install PowerShell 7.6 LTS for all users (the MSI, into Program Files); CredHop uses the newest one it finds there.' } : {}),
      });
    }
  }

  // Elevation: the lab's simulated client in practice mode, this process' token on Windows.
  if (deps.practiceMode) {
    const client = probe ? await deps.hop()?.readClient().catch(() => null) : null;
    lines.push(
      client
        ? client.isElevated
          ? { check: 'elevation', level: 'ok', found: `Practice: the lab's ${client.computerName} runs as administrator (simulated).` }
          : { check: 'elevation', level: 'warn', found: `Practice: the lab's ${client.computerName} does not run as administrator (simulated).`, todo: 'That is how this lab file is set up; the Check step will show the blocker.' }
        : { check: 'elevation', level: 'n/a', found: 'Could not be read: PowerShell did not start.' },
    );
  } else if (!probe) {
    lines.push({ check: 'elevation', level: 'n/a', found: 'Could not be read: PowerShell did not start.' });
  } else if (!probe.windows) {
    lines.push({ check: 'elevation', level: 'n/a', found: 'Not applicable here: real mode needs Windows.', todo: 'Use --practice to run against the lab on this machine.' });
  } else {
    lines.push(
      probe.elevated
        ? { check: 'elevation', level: 'ok', found: 'Running as administrator.' }
        : { check: 'elevation', level: 'fail', found: 'Not running as administrator: CredHop cannot change this computer\'s policy.', todo: 'Open PowerShell or the terminal with "Run as administrator" and run credhop again.' },
    );
  }

  if (probe) {
    lines.push(
      probe.languageMode === 'FullLanguage'
        ? { check: 'language-mode', level: 'ok', found: 'FullLanguage.' }
        : { check: 'language-mode', level: 'fail', found: `${probe.languageMode}: CredHop's module cannot run in it (AppLocker or WDAC restricts PowerShell on this computer).`, todo: 'CredHop cannot run under App Control script enforcement (commands sent to PowerShell run in ConstrainedLanguage, signed module or not): run it on a computer whose policy does not enforce script rules; under AppLocker, a script rule that allows your account gives FullLanguage.' },
    );
    const enforced = probe.machinePolicy !== '' && probe.machinePolicy !== 'Undefined' ? probe.machinePolicy : null;
    lines.push(
      enforced && ['Restricted', 'AllSigned'].includes(enforced)
        ? { check: 'execution-policy', level: 'fail', found: `A Group Policy sets it to ${enforced}, which CredHop's process setting cannot override.`, todo: 'Ask your administrator to allow RemoteSigned for this computer, or to sign CredHop\'s module.' }
        : { check: 'execution-policy', level: 'ok', found: `${probe.executionPolicy} in CredHop's PowerShell (it starts it with -ExecutionPolicy Bypass for its own process${enforced ? `; Group Policy: ${enforced}` : ''}).` },
    );
  } else {
    lines.push({ check: 'language-mode', level: 'n/a', found: 'Could not be read: PowerShell did not start.' });
    lines.push({ check: 'execution-policy', level: 'n/a', found: 'Could not be read: PowerShell did not start.' });
  }

  if (deps.practiceMode) {
    lines.push({ check: 'winrm', level: 'n/a', found: 'Practice: the lab simulates WinRM; nothing real is contacted.' });
  } else if (!probe || !probe.windows) {
    lines.push({ check: 'winrm', level: 'n/a', found: 'Not applicable here: the WinRM service exists only on Windows.' });
  } else {
    lines.push(
      probe.winrm === 'Running'
        ? { check: 'winrm', level: 'ok', found: 'The WinRM service is running.' }
        : { check: 'winrm', level: 'fail', found: probe.winrm === 'missing' ? 'The WinRM service was not found.' : `The WinRM service is ${probe.winrm ?? 'in an unknown state'}.`, todo: 'Start it in an elevated PowerShell: Start-Service WinRM (or run winrm quickconfig).' },
    );
  }

  const keychain = await deps.vault.status({ profileId: PROBE_PROFILE, role: 'jump' });
  lines.push(
    keychain.keychainProblem
      ? { check: 'keychain', level: 'warn', found: `The system keychain cannot be used: ${keychain.keychainProblem.message}`, todo: `${keychain.keychainProblem.hint ?? 'Unlock or start the keychain.'} Until then, passwords are kept for one run only.` }
      : { check: 'keychain', level: 'ok', found: 'The system keychain answers; remembered passwords can be kept there.' },
  );

  try {
    mkdirSync(deps.dataDir, { recursive: true });
    const probeFile = join(deps.dataDir, `.doctor-${process.pid}.tmp`);
    writeFileSync(probeFile, 'CredHop doctor: this file is removed at once.\n');
    rmSync(probeFile, { force: true });
    lines.push({ check: 'data-folder', level: 'ok', found: `${deps.dataDir} (writable).` });
  } catch {
    lines.push({ check: 'data-folder', level: 'fail', found: `${deps.dataDir} cannot be written.`, todo: 'Give your account write access to it, or set CREDHOP_DATA_DIR to a folder you can write.' });
  }

  const labFiles = existsSync(deps.layout.labModulePath) && existsSync(deps.layout.defaultLabFile);
  lines.push(
    !labFiles
      ? { check: 'practice-lab', level: 'warn', found: 'The practice lab is not installed with this copy of CredHop.', todo: 'Reinstall CredHop to get practice mode.' }
      : deps.practiceMode
        ? probe
          ? { check: 'practice-lab', level: 'ok', found: 'Practice mode is on, and the lab is loaded.' }
          : { check: 'practice-lab', level: 'fail', found: 'The practice lab could not be loaded: PowerShell did not start.', todo: 'See the PowerShell line above.' }
        : { check: 'practice-lab', level: 'ok', found: 'Installed (use --practice, or `credhop practice`, to learn the flow on it).' },
  );

  return { version: CREDHOP_VERSION, practiceMode: deps.practiceMode, platform: deps.platform, lines, ok: !lines.some((l) => l.level === 'fail') };
}

const LABELS: Record<DoctorLine['check'], string> = {
  powershell: 'PowerShell',
  edition: 'Edition',
  elevation: 'Elevation',
  'language-mode': 'Language mode',
  'execution-policy': 'Execution policy',
  winrm: 'WinRM service',
  keychain: 'Keychain',
  'data-folder': 'Data folder',
  'practice-lab': 'Practice lab',
};

const MARKS: Record<DoctorLevel, string> = { ok: 'OK  ', warn: 'WARN', fail: 'FIX ', 'n/a': '--  ' };

export function doctorLines(report: DoctorReport): string[] {
  const out = [`CredHop ${report.version}`];
  out.push(...report.lines.flatMap((l) => [`${MARKS[l.level]}  ${LABELS[l.check].padEnd(17)} ${l.found}`, ...(l.todo && l.level !== 'ok' ? [`      ${' '.repeat(17)} What to do: ${l.todo}`] : [])]));
  out.push(report.ok ? 'CredHop can run here.' : 'Fix the lines marked FIX, then run `credhop doctor` again.');
  return out;
}
