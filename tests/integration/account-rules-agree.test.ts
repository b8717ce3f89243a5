// Account names are checked twice: in TypeScript as the operator types (profile-rules.ts) and again in
// the module before a credential is built (Payload.ps1). The two must agree, or a name the wizard takes
// fails later in PowerShell (or worse, the other way round). This runs both over a few hundred names —
// real people's (O'Brien, jürgen.müller, Zoë), every forbidden character in every position, white space
// at the edges, domains of every shape, and the hostile strings — on the real module in real pwsh.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAccount } from '../../src/shared/domain/profile-rules';
import { hostileStrings } from '../support/hostile';
import { removeDir } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

const dir = mkdtempSync(join(tmpdir(), 'credhop-accounts-'));
afterAll(() => removeDir(dir));

function candidates(): string[] {
  const people = ["O'Brien", 'jürgen.müller', 'Zoë', 'Ærøskøbing', 'José María', 'Łukasz', '山田太郎', 'Ольга', "d'Artagnan", 'a.b-c_d', 'admin$', 'svc.credhop', 'x'];
  const domains = ['COMPANY', 'company.pri', 'CORP-01', 'corp_1', 'a', 'sub.corp.example.com', '', '.', '-bad', 'bad-', 'has space', 'dotted.123', '123', '10.0.0.1', 'a..b', 'corp.', 'CÖRP', 'x'.repeat(16), 'y'.repeat(64), `${'a'.repeat(63)}.com`];
  const out = new Set<string>();
  for (const p of people) {
    for (const d of domains) out.add(`${d}\\${p}`);
    out.add(`${p}@company.pri`);
    out.add(`${p}@company`);
    out.add(p);
  }
  for (const ch of '"/\\[]:;|=,+*?<>@\'`$(){}!#%&~^'.split('')) {
    out.add(`COMPANY\\a${ch}b`);
    out.add(`COMPANY\\${ch}b`);
    out.add(`a${ch}b@company.pri`);
  }
  for (const edge of [' ', '\t', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u0085', '\u200b', '\u180e', '\u2028']) {
    out.add(`COMPANY\\${edge}user`);
    out.add(`COMPANY\\user${edge}`);
    out.add(`COMPANY\\us${edge}er`);
  }
  for (const s of ['COMPANY\\...', 'COMPANY\\. .', 'COMPANY\\ ', `COMPANY\\${'u'.repeat(64)}`, `COMPANY\\${'u'.repeat(65)}`, 'COMPANY\\😀', `COMPANY\\${'😀'.repeat(32)}`, `COMPANY\\${'😀'.repeat(33)}`,
    '.\\user', '\\user', 'COMPANY\\', 'a\\b\\c', 'a@b@c.d', 'COMPANY\\a@b', 'user@', '@company.pri', 'us er@company.pri', 'COMPANY\\us\u0000er', 'COMPANY\\us\ner', 'COMPANY\\us\u007fer']) out.add(s);
  for (const h of hostileStrings('/nonexistent/canary')) {
    out.add(h);
    out.add(`COMPANY\\${h}`);
  }
  return [...out];
}

describe('account names: the wizard and the PowerShell module agree', () => {
  it('accepts and refuses exactly the same names', () => {
    const pwsh = requirePwsh();
    const names = candidates();
    const input = join(dir, 'names.json');
    writeFileSync(input, JSON.stringify(names), 'utf8');
    // The names reach PowerShell as data in a file; the script is constant text.
    const script = join(dir, 'check.ps1');
    writeFileSync(script, [
      '$ErrorActionPreference = "Stop"',
      'Import-Module $env:CREDHOP_TEST_MODULE -Force',
      '$names = [System.IO.File]::ReadAllText($env:CREDHOP_TEST_NAMES, [System.Text.Encoding]::UTF8) | ConvertFrom-Json',
      '$verdicts = & (Get-Module CredHop) { param($list) foreach ($n in $list) { [bool](Test-CredHopAccountName $n) } } $names',
      '[Console]::Out.WriteLine((ConvertTo-Json -Compress -InputObject @($verdicts)))',
    ].join('\n'));
    const r = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', script], {
      env: { ...process.env, CREDHOP_TEST_MODULE: resolve('resources/powershell/CredHop/CredHop.psd1'), CREDHOP_TEST_NAMES: input },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    const module = JSON.parse(r.stdout.trim().split('\n').pop()!) as boolean[];
    expect(module).toHaveLength(names.length);
    const disagreements = names
      .map((n, i) => ({ name: JSON.stringify(n), wizard: checkAccount(n).ok, module: module[i] }))
      .filter((d) => d.wizard !== d.module);
    expect(disagreements).toEqual([]);
    // And the rules say what real directories need: these people's names are accounts.
    for (const n of ["COMPANY\\O'Brien", 'company.pri\\jürgen.müller', 'Zoë@company.pri', 'COMPANY\\山田太郎']) expect(checkAccount(n).ok, n).toBe(true);
    for (const n of ['COMPANY\\a"b', 'COMPANY\\a:b', 'COMPANY\\a*b', 'COMPANY\\a<b']) expect(checkAccount(n).ok, n).toBe(false);
    expect(names.length).toBeGreaterThan(300);
  });
});
