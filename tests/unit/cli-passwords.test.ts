// --password-stdin with two accounts: one line each, in the stated order, anything else refused.
import { describe, expect, it } from 'vitest';
import { passwordsFromStdin } from '../../src/cli/passwords';

const jumpOnly = { jump: 'COMPANY\\Administrator', target: null, targetNeeded: false };
const both = { jump: 'COMPANY\\Administrator', target: 'COMPANY\\helpdesk.t2', targetNeeded: true };

describe('passwords from standard input', () => {
  it('one account: one line, with or without its line ending, kept exactly (spaces and quotes included)', () => {
    expect(passwordsFromStdin(' p"a ss\' \n', jumpOnly)).toEqual({ ok: true, jump: ' p"a ss\' ', target: null });
    expect(passwordsFromStdin('secret', jumpOnly)).toEqual({ ok: true, jump: 'secret', target: null });
    expect(passwordsFromStdin('secret\r\n', jumpOnly)).toEqual({ ok: true, jump: 'secret', target: null });
  });

  it('two accounts: the jump server account first, the target account second', () => {
    expect(passwordsFromStdin('jump-pw\ntarget-pw\n', both)).toEqual({ ok: true, jump: 'jump-pw', target: 'target-pw' });
  });

  it('refuses a second line when only one account needs a password (it is not guessed where it goes)', () => {
    const r = passwordsFromStdin('a\nb\n', jumpOnly);
    expect(r).toMatchObject({ ok: false });
    expect(r.ok ? '' : r.message).toMatch(/expects the password of COMPANY\\Administrator on one line; it read 2 lines/);
  });

  it('refuses one line when the explicit test needs the target account\'s too, and names the order', () => {
    const r = passwordsFromStdin('only-one\n', both);
    expect(r.ok ? '' : r.message).toMatch(/first line, then that of COMPANY\\helpdesk\.t2 on the second; it read 1 line/);
  });

  it('the same account named twice (any case) needs one line', () => {
    expect(passwordsFromStdin('pw\n', { jump: 'COMPANY\\Admin', target: 'company\\admin', targetNeeded: true })).toEqual({ ok: true, jump: 'pw', target: null });
  });

  it('a command that does not use the target password takes one line or two', () => {
    expect(passwordsFromStdin('pw\n', { ...both, targetNeeded: false })).toEqual({ ok: true, jump: 'pw', target: null });
    expect(passwordsFromStdin('pw\nt\n', { ...both, targetNeeded: false })).toEqual({ ok: true, jump: 'pw', target: 't' });
  });

  it('refuses empty lines, extra lines and NUL', () => {
    expect(passwordsFromStdin('\n', jumpOnly).ok).toBe(false);
    expect(passwordsFromStdin('a\n\n', both).ok).toBe(false);
    expect(passwordsFromStdin('a\nb\nc\n', both).ok).toBe(false);
    expect(passwordsFromStdin('a\0b', jumpOnly).ok).toBe(false);
  });
});
