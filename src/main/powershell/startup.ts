// The constant PowerShell text CredHop's shell runs at every start, before any call. No path and no user
// value is ever part of it: the module paths reach PowerShell in environment variables set at spawn,
// because Windows PowerShell decodes redirected stdin with the OEM code page, so a non-ASCII path in
// command text (C:\Users\Jürgen\...) would arrive mangled; environment variables are UTF-16 and safe.

/** CredHop's module manifest (resources/powershell/CredHop/CredHop.psd1). */
export const MODULE_ENV = 'CREDHOP_MODULE';
/** The practice lab's module manifest, in practice mode only. */
export const LAB_MODULE_ENV = 'CREDHOP_LAB_MODULE';
/**
 * Test hook: `ConstrainedLanguage` here puts CredHop's shell into ConstrainedLanguage before anything else
 * runs, so tests see what an App Control/AppLocker-enforced machine shows. It can only lower the language
 * mode (PowerShell itself refuses to raise it), so it grants nothing to whoever sets it.
 */
export const TEST_LANGUAGE_MODE_ENV = 'CREDHOP_TEST_LANGUAGE_MODE';

/** Error kind of a start refused by the machine's PowerShell policy (execution policy, language mode). */
export const LOCKED_DOWN_KIND = 'locked-down';

export const LANGUAGE_MODE_HOOK =
  "if ($env:CREDHOP_TEST_LANGUAGE_MODE -ceq 'ConstrainedLanguage') { $ExecutionContext.SessionState.LanguageMode = 'ConstrainedLanguage' }";

/**
 * Reads the language mode and the effective execution policy (the first scope that defines one, in
 * PowerShell's order: MachinePolicy and UserPolicy are Group Policy and override `-ExecutionPolicy
 * Bypass`) BEFORE the module is imported, into `$CredHopStart`; refuses a start that cannot work with one
 * plain answer. Only cmdlets, hashtables and strings: it runs in ConstrainedLanguage and on 5.1.
 */
export const START_CHECK = [
  "$CredHopStart = @{ languageMode = [string]$ExecutionContext.SessionState.LanguageMode; executionPolicy = 'Undefined'; policyScope = '' }",
  "try { foreach ($credhopP in @(Get-ExecutionPolicy -List)) { if ($CredHopStart['policyScope'] -eq '' -and [string]$credhopP.ExecutionPolicy -ne 'Undefined') { $CredHopStart['executionPolicy'] = [string]$credhopP.ExecutionPolicy; $CredHopStart['policyScope'] = [string]$credhopP.Scope } } } catch { }",
  "$credhopBlock = $null",
  "if ($CredHopStart['languageMode'] -ne 'FullLanguage') { $credhopBlock = @{ kind = 'locked-down'; message = ('PowerShell runs in ' + $CredHopStart['languageMode'] + ' mode on this computer: an App Control for Business (WDAC) or AppLocker policy lets only code it trusts run in full, so CredHop cannot use PowerShell.'); hint = 'CredHop cannot run on this computer under this policy: it drives PowerShell by sending it commands, and App Control runs such commands in ConstrainedLanguage however CredHop''s module is signed. An administrator can run CredHop on a computer whose App Control policy does not enforce script rules (under AppLocker, a script rule that allows the account CredHop runs as also gives FullLanguage), or make the changes by hand with the PowerShell each step shows. Then start CredHop again.' } } " +
    "elseif (($CredHopStart['policyScope'] -eq 'MachinePolicy' -or $CredHopStart['policyScope'] -eq 'UserPolicy') -and $CredHopStart['executionPolicy'] -eq 'Restricted') { $credhopBlock = @{ kind = 'locked-down'; message = ('Group Policy sets PowerShell''s execution policy to Restricted (' + $CredHopStart['policyScope'] + '), which forbids every script and module and overrides CredHop''s own setting, so CredHop''s module cannot load.'); hint = 'An administrator must set the policy ''Turn on Script Execution'' to allow signed scripts, and allow the publisher of CredHop''s signed module (its certificate in Trusted Publishers). Then start CredHop again.' } }",
  "if ($null -ne $credhopBlock) { 'CREDHOP:' + (ConvertTo-Json -Compress -InputObject @{ ok = $false; error = $credhopBlock }) }",
].join('; ');

/**
 * The shell's first line: the test hook, the start check, and on a refusal its answer and `exit`.
 * node-powershell ends every command with `[Console]::Out.WriteLine(<marker>)`, a .NET call that
 * ConstrainedLanguage refuses, so a locked-down shell that went on would wait for that marker forever.
 * Exiting right after the answer ends it instead, and the shell reads the answer from what the process
 * wrote (shell.ts): one PowerShell process, no separate pre-flight. Plain output, cmdlets and `exit`
 * only: it runs in ConstrainedLanguage and on 5.1.
 */
export const START_LINE = `${LANGUAGE_MODE_HOOK}; ${START_CHECK}; if ($null -ne $credhopBlock) { exit 3 }`;

/** A module import that explains a failure under a Group Policy execution policy in plain words. */
function importLine(env: string, global: boolean): string {
  const scope = global ? ' -Global' : '';
  return (
    `try { Import-Module -Name $env:${env}${scope} -Force -DisableNameChecking -ErrorAction Stop } catch { ` +
    "if (($CredHopStart['policyScope'] -eq 'MachinePolicy' -or $CredHopStart['policyScope'] -eq 'UserPolicy') -and ($CredHopStart['executionPolicy'] -eq 'AllSigned' -or $CredHopStart['executionPolicy'] -eq 'RemoteSigned')) { " +
    "'CREDHOP:' + (ConvertTo-Json -Compress -InputObject @{ ok = $false; error = @{ kind = 'locked-down'; message = ('Group Policy sets PowerShell''s execution policy to ' + $CredHopStart['executionPolicy'] + ' (' + $CredHopStart['policyScope'] + '), which overrides CredHop''s own setting, and CredHop''s module could not be loaded under it: ' + $_.Exception.Message); hint = 'An administrator must allow the publisher of CredHop''s signed module (its certificate in Trusted Publishers on this computer), or exempt CredHop from that policy. Then start CredHop again.' } }) " +
    '} else { throw } }'
  );
}

/**
 * The lines, in order: start check, (practice mode: the lab and its start), encoding, the module.
 * In practice mode the lab goes right after the start check and into the global scope: it stands in for
 * the operating system, and `labStart` (Initialize-CredHopLab) makes this process the lab's client,
 * running as the PowerShell edition the client has. So CredHop's own lines, from the encoding on, and its
 * module meet that edition from their start, as they would meet the real one (real mode: no lab lines).
 */
export function bootstrapLines(practice: boolean, labStart?: string): string[] {
  const lines = [START_LINE];
  if (practice) lines.push(importLine(LAB_MODULE_ENV, true));
  if (practice && labStart !== undefined) lines.push(labStart);
  lines.push(
    '$ProgressPreference = "SilentlyContinue"; $WarningPreference = "SilentlyContinue"; $InformationPreference = "SilentlyContinue"',
    '[Console]::OutputEncoding = [System.Text.UTF8Encoding]::new($false)',
  );
  lines.push(importLine(MODULE_ENV, false));
  return lines;
}

/** The environment that carries the paths (never command text). */
export function bootstrapEnv(modulePath: string, labModulePath: string | undefined): Record<string, string> {
  const env: Record<string, string> = { [MODULE_ENV]: modulePath };
  if (labModulePath !== undefined) env[LAB_MODULE_ENV] = labModulePath;
  return env;
}

/** Answers what the start check read: `{languageMode, executionPolicy, policyScope}`. */
export const START_REPORT = "'CREDHOP:' + (ConvertTo-Json -Compress -InputObject @{ ok = $true; data = $CredHopStart })";
