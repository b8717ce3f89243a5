// Host names are checked twice: in TypeScript as the operator types (profile-rules.ts: checkHostName for
// the jump server, checkTargetName for the target) and again in the module before a connection is made
// (Payload.ps1: Test-CredHopHostName, -AllowAddress for the jump server only). The two must agree, or a
// name the wizard takes fails later in PowerShell. This runs both over a few hundred names — addresses
// well- and ill-formed, DNS and NetBIOS names of every shape, and the hostile strings — on real pwsh.
import { describe, expect, it } from 'vitest';
import { checkHostName, checkTargetName } from '../../src/shared/domain/profile-rules';
import { hostileStrings } from '../support/hostile';
import { moduleVerdicts } from './module-verdicts';

function candidates(): string[] {
  const out = new Set<string>([
    '192.168.10.11', '10.0.0.1', '0.0.0.0', '255.255.255.255', '1.1.1.1', '10.0.0.256', '256.1.1.1', '1.2.3', '1.2.3.4.5', '010.0.0.1', '10.00.0.1',
    '10.0.0.01', '1..2.3', '.1.2.3.4', '1.2.3.4.', '1.2.3.-4', '+1.2.3.4', '1.2.3.4:5985', '१.२.३.४', '١٢.0.0.1', '999.999.999.999', '1.2.3.4/24', ' 1.2.3.4',
    'fe80::1', '[::1]', '::ffff:10.0.0.1', 'jump01', 'JUMP-01', 'MEM_2', 'mem_2.company.pri', 'a-very-long-single-label-host', 'jump01.corp.contoso.com',
    'xn--bcher-kva.example', 'host.123', '123', '12345', '1a.company.pri', 'company.1a', '-jump', 'jump-', '_jump', 'jump_', 'a', 'A1', 'a'.repeat(15), 'a_'.repeat(8),
    `${'a'.repeat(63)}`, `${'a'.repeat(64)}`, `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
    'jump..contoso.com', '.contoso.com', 'contoso.com.', 'jümp01', 'jümp01.contoso.com', 'JUMP"01', 'jump*', '*.contoso.com', 'http://jump01', '\\\\jump01', 'CONTOSO\\jump01',
    'admin@jump01', 'jump01,jump02', 'jump 01', 'jump\t01', 'jump\u000001', 'jump\n01', 'jump01:5985', '', ' ', 'adfs1.company.pri', 'ws1',
  ]);
  for (const ch of '!"#$%&\'()*+,/:;<=>?@[\\]^`{|}~'.split('')) {
    out.add(`jump${ch}01`);
    out.add(`jump01.company${ch}pri`);
  }
  for (const h of hostileStrings('/nonexistent/canary')) out.add(h);
  return [...out];
}

describe('host names: the wizard and the PowerShell module agree', () => {
  it('accepts and refuses exactly the same jump servers and targets', () => {
    const names = candidates();
    // Each name as a jump server (an address allowed) and as a target.
    const module = moduleVerdicts(names, '@([bool](Test-CredHopHostName $n -AllowAddress), [bool](Test-CredHopHostName $n))');
    expect(module).toHaveLength(names.length * 2);
    const disagreements = names
      .map((n, i) => ({ name: JSON.stringify(n), jump: [checkHostName(n).ok, module[2 * i]], target: [checkTargetName(n).ok, module[2 * i + 1]] }))
      .filter((d) => d.jump[0] !== d.jump[1] || d.target[0] !== d.target[1]);
    expect(disagreements).toEqual([]);
    // And the rules say what the issue asks: a dotted quad is a jump server, not a target; malformed ones are neither.
    expect(checkHostName('192.168.10.11')).toMatchObject({ ok: true, kind: 'ipv4' });
    expect(checkTargetName('192.168.10.11').ok).toBe(false);
    for (const n of ['10.0.0.256', '1.2.3', 'fe80::1']) expect(checkHostName(n).ok, n).toBe(false);
    expect(names.length).toBeGreaterThan(100);
  });
});
