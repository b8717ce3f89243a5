// Runs one of the module's own checks over many names in real pwsh, for the tests that prove the wizard's
// rules (profile-rules.ts) and the module's (Payload.ps1) agree.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { removeDir } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

/**
 * `verdict` is constant PowerShell run in the module's scope for each name `$n`, giving one or more
 * booleans. The names reach PowerShell as data in a file, never in the script. Returns every boolean, in order.
 */
export function moduleVerdicts(names: readonly string[], verdict: string): boolean[] {
  const pwsh = requirePwsh();
  const dir = mkdtempSync(join(tmpdir(), 'credhop-verdicts-'));
  try {
    const input = join(dir, 'names.json');
    writeFileSync(input, JSON.stringify(names), 'utf8');
    const script = join(dir, 'check.ps1');
    writeFileSync(script, [
      '$ErrorActionPreference = "Stop"',
      'Import-Module $env:CREDHOP_TEST_MODULE -Force',
      '$names = [System.IO.File]::ReadAllText($env:CREDHOP_TEST_NAMES, [System.Text.Encoding]::UTF8) | ConvertFrom-Json',
      `$verdicts = & (Get-Module CredHop) { param($list) foreach ($n in $list) { ${verdict} } } $names`,
      '[Console]::Out.WriteLine((ConvertTo-Json -Compress -InputObject @($verdicts)))',
    ].join('\n'));
    const r = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', script], {
      env: { ...process.env, CREDHOP_TEST_MODULE: resolve('resources/powershell/CredHop/CredHop.psd1'), CREDHOP_TEST_NAMES: input },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as boolean[];
  } finally {
    removeDir(dir);
  }
}
