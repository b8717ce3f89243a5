// What CredHop shows is what it does: the exported runbook, run by hand with pwsh in a second copy of
// the lab (the lab loaded first, as practice mode does), ends in the same state as CredHop's own apply
// on the first copy, and its -Restore in the same state as CredHop's restore — with pre-existing
// entries (and a gap in their value names) kept.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runbook } from '../../src/main/hop/runbook';
import { ARTICLE, articleLab, CRED, labsForEachTest, machineState, removeDir, type LabStateView } from './lab-fixture';
import { PWSH } from './pwsh-path';

const { lab } = labsForEachTest();

const PRE_EXISTING = articleLab({
  dc1: {
    localPolicy: {
      fresh: { allow: 1, concatenate: 1, entries: { '1': 'TERMSRV/*', '3': 'wsman/old.company.pri' } },
      freshNtlm: { allow: 1, concatenate: 0, entries: { '1': 'wsman/legacy.company.pri' } },
    },
  },
});

const stateView = z.object({ hosts: z.record(z.string(), z.object({}).passthrough()) }).passthrough();

/** Runs a runbook file the way an administrator would, in its own pwsh over a lab state folder. */
function byHand(stateDir: string, labFile: string, script: string, args: string[], reset: boolean): { state: LabStateView; stdout: string; stderr: string; code: number | null } {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
  const driver = [
    "$ErrorActionPreference = 'Stop'",
    `Import-Module '${resolve('tests/lab/CredHopLab.psd1')}' -Global -DisableNameChecking | Out-Null`,
    `Initialize-CredHopLab -Payload '${b64({ labFile, stateDir, reset })}' | Out-Null`,
    // The administrator types the password when the runbook asks for it.
    "function global:Get-Credential { param([string]$UserName, [string]$Message) [pscredential]::new('COMPANY\\Administrator', (ConvertTo-SecureString 'typed-by-hand' -AsPlainText -Force)) }",
    `& '${script}' ${args.join(' ')}`,
    `Get-CredHopLabState -Payload '${b64({})}'`,
  ].join('\n');
  const r = spawnSync(PWSH, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '-'], { input: driver, encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.split('\n').reverse().find((l) => l.includes('CREDHOP:'));
  if (!line) throw new Error(`the runbook did not run: ${r.stderr.slice(0, 2000)}\n${r.stdout.slice(-2000)}`);
  const state = stateView.parse((JSON.parse(line.slice(line.indexOf('CREDHOP:') + 8)) as { data: unknown }).data) as LabStateView;
  return { state, stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/** A machine's settings without CredHop's scheduled restore (its task and files); `armed` asserts they were there. */
function settingsOf(view: LabStateView, armed = false): unknown {
  const m = machineState(view) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(m).map(([host, h]) => {
    const { scheduledTasks, credhopFiles, ...rest } = h;
    if (armed && host !== 'mem2') expect((scheduledTasks as unknown[]).length, `${host}: CredHop armed its scheduled restore`).toBe(1);
    else expect([scheduledTasks, credhopFiles], `${host}: no scheduled restore`).toEqual([[], []]);
    return [host, rest];
  }));
}

describe('the exported runbook, run by hand', () => {
  it('apply, then -Restore, end exactly where CredHop\'s own steps end; pre-existing entries stay', async () => {
    const run = lab(PRE_EXISTING);
    const dir = mkdtempSync(join(tmpdir(), 'credhop-runbook-'));
    try {
      const labFile = join(dir, 'lab.json');
      writeFileSync(labFile, JSON.stringify(PRE_EXISTING));
      const before = machineState(await run.state());

      const checked = await run.hop.check(ARTICLE, CRED);
      const plan = checked.plan!;
      expect(plan.blockers).toEqual([]);
      const text = runbook(plan, checked.snapshot!, '2026-11-30T00:00:00.000Z', { account: ARTICLE.account });
      // The next free value name comes from the snapshot (2: value names 1 and 3 are taken), and no
      // existing key is ever re-created with -Force.
      expect(text).toContain("-Name '2' -Value 'wsman/adfs1.company.pri'");
      expect(text).not.toContain('<next free number>');
      expect(text).not.toMatch(/New-Item -Path "?\$key[^\n]*-Force/);
      expect(text).not.toMatch(/^\s*Disable-WSManCredSSP/m);
      const script = join(dir, 'CredHop-Article.ps1');
      writeFileSync(script, text);

      // CredHop's own apply on the first copy.
      const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
      await run.hop.apply('client', ARTICLE, plan, session, CRED);
      await run.hop.apply('server', ARTICLE, plan, session, CRED);
      const credhopApplied = await run.state();

      // The runbook on the second copy.
      const stateDir = join(dir, 'by-hand');
      const applied = byHand(stateDir, labFile, script, [], true);
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toMatch(/MEM2/i); // the hop test inside the runbook worked
      // The runbook is run by hand: it arms no scheduled restore (CredHop's safety net); the settings are the same.
      expect(settingsOf(applied.state)).toEqual(settingsOf(credhopApplied, true));
      expect(machineState(credhopApplied)).not.toEqual(before);

      // Restore: CredHop on the first copy, the runbook's -Restore on the second.
      const report = await run.hop.restoreAll(() => CRED, 'test');
      expect(report.clean).toBe(true);
      const credhopRestored = machineState(await run.state());
      const restored = byHand(stateDir, labFile, script, ['-Restore'], false);
      expect(restored.stderr).toBe('');
      expect(machineState(restored.state)).toEqual(credhopRestored);
      expect(machineState(restored.state)).toEqual(before);
    } finally {
      removeDir(dir);
    }
  }, 300_000);

  it('on a machine with nothing configured, -Restore also removes the keys the runbook created', async () => {
    const run = lab();
    const dir = mkdtempSync(join(tmpdir(), 'credhop-runbook-'));
    try {
      const labFile = join(dir, 'lab.json');
      writeFileSync(labFile, JSON.stringify(articleLab()));
      const checked = await run.hop.check(ARTICLE, CRED);
      const script = join(dir, 'CredHop-Article.ps1');
      writeFileSync(script, runbook(checked.plan!, checked.snapshot!, 'now'));
      const before = machineState(await run.state());
      const stateDir = join(dir, 'by-hand');
      const applied = byHand(stateDir, labFile, script, [], true);
      expect(applied.stderr).toBe('');
      const session = run.hop.beginSession(ARTICLE, checked.snapshot!, 60);
      await run.hop.apply('client', ARTICLE, checked.plan!, session, CRED);
      await run.hop.apply('server', ARTICLE, checked.plan!, session, CRED);
      expect(settingsOf(applied.state)).toEqual(settingsOf(await run.state(), true));
      const restored = byHand(stateDir, labFile, script, ['-Restore'], false);
      expect(restored.stderr).toBe('');
      expect(machineState(restored.state)).toEqual(before);
    } finally {
      removeDir(dir);
    }
  }, 300_000);

  it('a blocked plan stops before any change and says why first; a hostile host name stays inside its quotes and comments', async () => {
    const run = lab(articleLab({ adfs1: { domainPolicy: { winrmServiceAllowCredSSP: 0 } } }));
    const checked = await run.hop.check(ARTICLE, CRED);
    expect(checked.plan!.blockers.length).toBeGreaterThan(0);
    const text = runbook(checked.plan!, checked.snapshot!, 'now');
    expect(text).toMatch(/^throw 'A Group Policy controls CredSSP[^\n]*Nothing was changed\./m);

    // Names are validated before planning; even so, the runbook text cannot be made to run a command.
    const hostile = "adfs1'; Remove-Item C:\\ -Recurse; '\r\nRemove-Item C:\\ -Recurse #";
    const plan = { ...checked.plan!, jumpServer: hostile, target: hostile, blockers: [] };
    const snapshot = { ...checked.snapshot!, client: { ...checked.snapshot!.client, computerName: hostile } };
    const dir = mkdtempSync(join(tmpdir(), 'credhop-runbook-'));
    try {
      const file = join(dir, 'hostile.ps1');
      writeFileSync(file, runbook(plan, snapshot, hostile));
      const parse = spawnSync(PWSH, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', `$t = $null; $e = $null; $ast = [System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$t, [ref]$e); if ($e.Count) { 'PARSE-ERROR' }; $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() } | Sort-Object -Unique`], { encoding: 'utf8' });
      const commands = parse.stdout.trim().split(/\r?\n/);
      expect(commands).not.toContain('PARSE-ERROR');
      expect(commands).toContain('Remove-ItemProperty');
      // Remove-Item appears only inside Remove-CredHopEmptyKey, with -LiteralPath $Path, never with C:\.
      const removeItems = spawnSync(PWSH, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', `$t = $null; $e = $null; $ast = [System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$t, [ref]$e); $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'Remove-Item' }, $true) | ForEach-Object { $_.Extent.Text }`], { encoding: 'utf8' });
      expect(removeItems.stdout.trim().split(/\r?\n/)).toEqual(['Remove-Item -LiteralPath $Path']);
    } finally {
      removeDir(dir);
    }
  }, 300_000);
});
