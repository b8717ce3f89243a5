// Account names are checked twice: in TypeScript as the operator types (profile-rules.ts) and again in
// the module before a credential is built (Payload.ps1). The two must agree, or a name the wizard takes
// fails later in PowerShell (or worse, the other way round). This runs both over a few hundred names —
// real people's (O'Brien, jürgen.müller, Zoë), every forbidden character in every position, white space
// at the edges, domains of every shape, and the hostile strings — on the real module in real pwsh.
import { describe, expect, it } from 'vitest';
import { checkAccount } from '../../src/shared/domain/profile-rules';
import { hostileStrings } from '../support/hostile';
import { moduleVerdicts } from './module-verdicts';

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
    const names = candidates();
    const module = moduleVerdicts(names, '[bool](Test-CredHopAccountName $n)');
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
