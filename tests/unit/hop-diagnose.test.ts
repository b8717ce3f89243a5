import { describe, expect, it } from 'vitest';
import { diagnose, normalizeCode, type DiagnoseContext } from '../../src/main/hop/diagnose';

const ctx: DiagnoseContext = { jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', stage: 'jump' };

// German messages: diagnosis must key on codes and ids, never on English text.
const DE = 'Beim Verbinden mit dem Remoteserver ist folgender Fehler aufgetreten: ';

describe('diagnosis', () => {
  it.each([
    ['E1', { message: `${DE}Fehlercode 0x8009030e`, fullyQualifiedErrorId: '1312,PSSessionStateBroken', errorCode: 1312 }, { ...ctx, stage: 'target' as const }, false],
    ['E2', { message: DE, fullyQualifiedErrorId: '-2144108125,PSSessionStateBroken', errorCode: -2144108125 }, ctx, true],
    ['E3', { message: DE, fullyQualifiedErrorId: '-2144108124,PSSessionStateBroken', errorCode: null }, ctx, true],
    ['E4', { message: DE, fullyQualifiedErrorId: 'AccessDenied,PSSessionStateBroken', errorCode: 5 }, { ...ctx, serverCredSSP: false }, true],
    ['E5', { message: DE, fullyQualifiedErrorId: '-2144108126,PSSessionStateBroken', errorCode: -2144108126 }, ctx, true],
    ['E6', { message: `${DE}0x80090322`, fullyQualifiedErrorId: '-2144108387,PSSessionStateBroken', errorCode: -2144108387 }, ctx, false],
    ['E7', { message: DE, fullyQualifiedErrorId: 'AccessDenied,PSSessionStateBroken', errorCode: 5 }, { ...ctx, serverCredSSP: true }, false],
    ['unreachable', { message: DE, fullyQualifiedErrorId: 'WinRMOperationTimeout,PSSessionStateBroken', errorCode: -2144108250 }, ctx, false],
    ['not-found', { message: DE, fullyQualifiedErrorId: 'ComputerNotFound,PSSessionStateBroken', errorCode: -2144108103 }, ctx, false],
    ['winrm-stopped', { message: DE, fullyQualifiedErrorId: 'CannotConnect,PSSessionStateBroken', errorCode: -2144108526 }, ctx, false],
    ['ip-address', { message: DE, fullyQualifiedErrorId: 'CannotUseIPAddress,PSSessionStateBroken', errorCode: -2144108101 }, ctx, false],
  ])('recognises %s from its code and id alone (German text)', (id, record, context, fixable) => {
    const d = diagnose(record, context);
    expect(d.id).toBe(id);
    expect(d.fixable).toBe(fixable);
    expect(d.cause.length).toBeGreaterThan(10);
    expect(d.fix.length).toBeGreaterThan(10);
  });

  it('reads the code from the FullyQualifiedErrorId when ErrorCode is missing, also with a suffix appended', () => {
    expect(diagnose({ message: 'x', fullyQualifiedErrorId: '-2144108126,PSSessionStateBroken,Invoke-CredHop' }, ctx).id).toBe('E5');
  });

  it('folds hex and unsigned codes to the signed WinRM number', () => {
    expect(normalizeCode('0x803381A3')).toBe(-2144108125);
    expect(normalizeCode(2150859171)).toBe(-2144108125);
    expect(normalizeCode('-2144108125')).toBe(-2144108125);
    expect(normalizeCode(null)).toBeNull();
  });

  it('offers the exact fix CredHop can apply', () => {
    expect(diagnose({ message: '', errorCode: -2144108125 }, ctx).fixChange).toEqual({ kind: 'add-delegation', host: 'client', list: 'fresh', spn: 'wsman/adfs1.company.pri' });
    expect(diagnose({ message: '', errorCode: 5, fullyQualifiedErrorId: 'AccessDenied,PSSessionStateBroken' }, { ...ctx, serverCredSSP: false }).fixChange).toEqual({ kind: 'server-credssp', host: 'server', enabled: true });
    const e3 = diagnose({ message: '', errorCode: -2144108124 }, ctx);
    expect(e3.fixChange).toMatchObject({ list: 'freshNtlm' });
    expect(e3.warning).toMatch(/not verified/);
  });

  it('does not offer to fix E2 when a domain GPO owns the list', () => {
    const d = diagnose({ message: '', errorCode: -2144108125 }, { ...ctx, delegationPolicyManaged: true });
    expect(d.fixable).toBe(false);
    expect(d.fix).toMatch(/domain administrator/);
  });

  it('falls back on English text for E9, W1 and E10', () => {
    expect(diagnose({ message: 'This command cannot be executed because the setting cannot be enabled.' }, ctx).id).toBe('E9');
    expect(diagnose({ message: 'The config setting CredSSP cannot be changed because is controlled by policies.' }, ctx).id).toBe('W1');
    expect(diagnose({ message: 'Access is denied. You need to run this cmdlet from an elevated process.' }, ctx).id).toBe('E10');
  });

  it('tells an E1 inside a CredSSP session apart: the outer session was not CredSSP', () => {
    const d = diagnose({ message: '', errorCode: 1312 }, { ...ctx, stage: 'target', outerAuthentication: 'CredSSP' });
    expect(d.explanation).toMatch(/not really a CredSSP session/);
  });

  it('says plainly when it does not recognise an error, without a stack trace', () => {
    const d = diagnose({ message: 'Something odd\n   at Foo.Bar()' }, ctx);
    expect(d.id).toBe('unknown');
    expect(d.fix).toMatch(/Clean up now/);
  });
});
