// --password-stdin: one line per account, in a fixed order — the jump server account's password
// first, then the target account's (only when --target-account names another account). Anything else
// is refused rather than guessed: a password must never be sent to the wrong account.

export interface StdinAccounts {
  jump: string;
  /** The separate target account, or null when the target uses the jump account. */
  target: string | null;
  /** Whether this command uses the target account's password (test --explicit). */
  targetNeeded: boolean;
}

export type StdinPasswords = { ok: true; jump: string; target: string | null } | { ok: false; message: string };

export function sameAccount(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

export function passwordsFromStdin(text: string, accounts: StdinAccounts): StdinPasswords {
  if (text.includes('\0')) return { ok: false, message: '--password-stdin: the input contains a NUL character.' };
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  const separate = accounts.target !== null && !sameAccount(accounts.target, accounts.jump);
  const order = separate ? `the password of ${accounts.jump} on the first line, then that of ${accounts.target} on the second` : `the password of ${accounts.jump} on one line`;
  const allowed = separate ? (accounts.targetNeeded ? [2] : [1, 2]) : [1];
  if (!allowed.includes(lines.length)) {
    return { ok: false, message: `--password-stdin expects ${order}; it read ${lines.length} line${lines.length === 1 ? '' : 's'}.` };
  }
  if (lines.some((l) => l === '')) return { ok: false, message: `--password-stdin read an empty line; it expects ${order}.` };
  return { ok: true, jump: lines[0]!, target: separate && lines.length === 2 ? lines[1]! : null };
}
