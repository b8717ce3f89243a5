// Quoting for PowerShell text that CredHop SHOWS (plans, runbooks), never for what it runs: runs pass
// values as base64 data. A shown script may still be copied and run, so quote it correctly anyway.

/** A PowerShell single-quoted literal: every quote character PowerShell honours is doubled. */
export function psLiteral(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}
