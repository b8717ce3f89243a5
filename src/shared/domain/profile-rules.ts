// The rules a profile's fields follow, as pure functions with no dependency: the renderer checks
// while the operator types, main and the CLI check again through the zod schemas in ./profile.
export const PROFILE_LIMITS = {
  nameMax: 80,
  hostMax: 253,
  dnsLabelMax: 63,
  netbiosMax: 15,
  accountUserMax: 64,
  probeCommandMax: 4096,
  notesMax: 4000,
  timeBoxMin: 1,
  timeBoxMax: 480,
  timeBoxDefault: 60,
  passwordMax: 1024,
} as const;

export type Check<T = string> = { ok: true; value: T } | { ok: false; message: string };

export type HostKind = 'fqdn' | 'single-label' | 'netbios' | 'ipv4';

/** Describes one character for an error message without echoing the whole (possibly hostile) input. */
function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return 'a space';
  if (ch === '\t') return 'a tab';
  if (ch === '\n' || ch === '\r') return 'a line break';
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (code > 0x7e) return `the non-ASCII character "${ch}" (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  return `"${ch}"`;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const NETBIOS_FORBIDDEN = new Set(['\\', '/', ':', '*', '?', '"', '<', '>', '|']);
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** A dotted-quad IPv4 address: four numbers 0-255, no leading zeros (some Windows APIs read 010 as octal). */
export function isIPv4(value: string): boolean {
  if (!IPV4.test(value)) return false;
  return value.split('.').every((part) => Number(part) <= 255 && (part.length === 1 || !part.startsWith('0')));
}

/**
 * Checks one DNS label; returns a message or null.
 * `where` names the label for the message ("the name", "part 2 (\"bad-\")").
 */
function dnsLabelProblem(label: string, where: string): string | null {
  if (label.length === 0) return `${where} is empty (two dots in a row, or a dot at the start).`;
  if (label.length > PROFILE_LIMITS.dnsLabelMax)
    return `${where} is ${label.length} characters long; each part of a DNS name may have at most ${PROFILE_LIMITS.dnsLabelMax}.`;
  for (const ch of label) {
    if (!/[A-Za-z0-9-]/.test(ch))
      return `${where} contains ${describeChar(ch)}; DNS names may use only letters A-Z, digits and hyphens.`;
  }
  if (label.startsWith('-') || label.endsWith('-')) return `${where} starts or ends with a hyphen, which DNS does not allow.`;
  return DNS_LABEL.test(label) ? null : `${where} is not a valid DNS label.`;
}

/** Problems every kind of host name shares; returns a message or null. */
function commonHostProblem(value: string): string | null {
  if (value.length === 0) return 'Enter a server name.';
  if (value.includes('*')) return 'Wildcards (*) are not allowed in a profile: name exactly one server.';
  if (value.includes('\u0000')) return 'The name contains a NUL character.';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'Type only the server name, not a URL (leave out "http://" and any path).';
  if (value.startsWith('\\\\')) return 'Type only the server name, without the leading backslashes.';
  if (value.includes('@') || value.includes('\\'))
    return 'This looks like an account, not a server name. Type only the server name (for example jump01 or jump01.contoso.com).';
  if (value.includes(',') || value.includes(';')) return 'List exactly one server (no commas or semicolons).';
  if (/^[^:]+:\d+$/.test(value)) return 'Leave out the port: CredHop connects to the WinRM port itself.';
  if (/^\[?[0-9a-f:]+\]?$/i.test(value) && value.includes(':'))
    return 'IPv6 addresses are not accepted: type the server\'s DNS name, or its IPv4 address.';
  if (/^[\d.]+$/.test(value) && value.includes('.') && !isIPv4(value))
    return 'This is not a valid IPv4 address: it needs four numbers from 0 to 255 separated by dots, without leading zeros (for example 192.168.10.11). Or type the server\'s DNS name.';
  if (value.endsWith('.')) return 'Remove the trailing dot: Windows matches the name exactly as it is typed.';
  for (const ch of value) {
    if (/\s/.test(ch) || CONTROL.test(ch)) return `The name contains ${describeChar(ch)}.`;
  }
  return null;
}

/**
 * A host name as CredHop accepts it in a profile: a DNS name (labels of 1-63 letters, digits and
 * hyphens, not starting or ending with a hyphen, at most 253 characters) or a NetBIOS computer name
 * (at most 15 characters, none of \ / : * ? " < > |), or an IPv4 address (kind 'ipv4'). No wildcards,
 * no IPv6 addresses, no ports.
 */
export function checkHostName(input: string): Check<string> & { kind?: HostKind } {
  const value = input;
  // An address is accepted for the jump server: helpdesk staff connect that way. Every consequence
  // (NTLM-only delegation entry, TrustedHosts) is planned and confirmed separately (plan.ts).
  if (isIPv4(value)) return { ok: true, value, kind: 'ipv4' };
  const common = commonHostProblem(value);
  if (common !== null) return { ok: false, message: common };
  if (value.length > PROFILE_LIMITS.hostMax)
    return { ok: false, message: `The name is ${value.length} characters long; a DNS name may have at most ${PROFILE_LIMITS.hostMax}.` };

  if (value.includes('.')) {
    const labels = value.split('.');
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] ?? '';
      const where = label.length > 0 && label.length <= 63 ? `The part "${label}"` : `Part ${i + 1} of the name`;
      const problem = dnsLabelProblem(label, where);
      if (problem !== null) return { ok: false, message: problem };
    }
    const last = labels[labels.length - 1] ?? '';
    if (/^\d+$/.test(last)) return { ok: false, message: 'The last part of a DNS name cannot be only digits.' };
    return { ok: true, value, kind: 'fqdn' };
  }

  // One label: a DNS host name, or failing that a NetBIOS computer name.
  if (dnsLabelProblem(value, 'The name') === null) {
    if (/^\d+$/.test(value)) return { ok: false, message: 'A computer name cannot consist of digits only.' };
    return { ok: true, value, kind: value.length <= PROFILE_LIMITS.netbiosMax ? 'netbios' : 'single-label' };
  }
  if (value.length > PROFILE_LIMITS.netbiosMax) {
    // Not a NetBIOS name (too long), so report why it is not a DNS name either.
    return { ok: false, message: dnsLabelProblem(value, 'The name') ?? 'The name is not valid.' };
  }
  for (const ch of value) {
    if (NETBIOS_FORBIDDEN.has(ch)) return { ok: false, message: `The name contains ${describeChar(ch)}, which computer names cannot contain.` };
    const code = ch.codePointAt(0) ?? 0;
    if (code > 0x7e) return { ok: false, message: `The name contains ${describeChar(ch)}; use the ASCII form of the name.` };
    // NetBIOS itself tolerates $ ' ( ) { } ! & and more, but Windows warns against them in computer
    // names and they have no place in a WinRM target or an SPN; letters, digits, - and _ only.
    if (!/[A-Za-z0-9_-]/.test(ch)) return { ok: false, message: `The name contains ${describeChar(ch)}; computer names use only letters, digits, hyphens and underscores.` };
  }
  return { ok: true, value, kind: 'netbios' };
}

/**
 * The target: a host name as above, but not an address. CredHop reaches the target from the jump
 * server, and a connection by address needs the jump server's own TrustedHosts list (and explicit
 * credentials), which CredHop does not change; the CredSSP hop by address would always fail there.
 */
export function checkTargetName(input: string): Check<string> & { kind?: HostKind } {
  const r = checkHostName(input);
  if (r.ok && r.kind === 'ipv4')
    return { ok: false, message: 'Type the target\'s DNS name: the jump server reaches the target, and a connection by IP address would need the jump server\'s own TrustedHosts list, which CredHop does not change.' };
  return r;
}

// What Windows forbids in a user name; anything else, Unicode letters and ' included (O'Brien,
// jürgen.müller), is a name. The module checks the same rules again (Payload.ps1, Test-CredHopAccountName);
// tests/integration/account-rules-agree.test.ts proves the two agree.
const ACCOUNT_USER_FORBIDDEN = new Set(['"', '/', '\\', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>', '@']);
/** The white space String.prototype.trim() removes, spelled out so the module can use the same class. */
const EDGE_SPACE = /^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]|[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]$/;

function accountUserProblem(user: string): string | null {
  if (user.length === 0) return 'The user name part is empty.';
  if (user.length > PROFILE_LIMITS.accountUserMax)
    return `The user name part is ${user.length} characters long; at most ${PROFILE_LIMITS.accountUserMax} are allowed.`;
  for (const ch of user) {
    if (CONTROL.test(ch)) return `The user name contains ${describeChar(ch)}.`;
    if (ACCOUNT_USER_FORBIDDEN.has(ch)) return `The user name contains ${describeChar(ch)}, which Windows account names cannot contain.`;
  }
  if (/^[. ]+$/.test(user)) return 'The user name cannot consist only of dots and spaces.';
  if (EDGE_SPACE.test(user)) return 'The user name starts or ends with a space.';
  return null;
}

export type AccountForm = 'down-level' | 'upn';

/**
 * An account as CredHop accepts it: `DOMAIN\user` (DOMAIN a NetBIOS or DNS domain name, or the
 * jump server's computer name for a local account) or `user@domain.tld` (a UPN with a dotted DNS
 * suffix). A bare `user` and `.\user` are refused: a second hop needs a name the target can resolve.
 */
export function checkAccount(input: string): Check<string> & { form?: AccountForm } {
  const value = input;
  if (value.length === 0) return { ok: false, message: 'Enter an account, for example CONTOSO\\jdoe or jdoe@contoso.com.' };
  for (const ch of value) {
    if (CONTROL.test(ch)) return { ok: false, message: `The account contains ${describeChar(ch)}.` };
  }
  const backslashes = value.split('\\').length - 1;
  const ats = value.split('@').length - 1;
  if (backslashes > 0 && ats > 0)
    return { ok: false, message: 'Use one form only: CONTOSO\\jdoe or jdoe@contoso.com, not both.' };
  if (backslashes > 1) return { ok: false, message: 'The account has more than one backslash; write it as DOMAIN\\user.' };
  if (ats > 1) return { ok: false, message: 'The account has more than one "@"; write it as user@domain.com.' };

  if (backslashes === 1) {
    const [domain = '', user = ''] = value.split('\\');
    if (domain === '') return { ok: false, message: 'The domain before the backslash is missing; write it as DOMAIN\\user.' };
    if (domain === '.')
      return {
        ok: false,
        message: 'A local account (.\\user) cannot be delegated to a second machine. Write the machine or domain name, for example JUMP01\\admin.',
      };
    const host = checkHostName(domain);
    if (!host.ok) return { ok: false, message: `The domain part is not valid: ${host.message}` };
    if (host.kind === 'ipv4') return { ok: false, message: 'The domain part is an IP address; write the domain or computer name, for example CONTOSO\\jdoe.' };
    const userProblem = accountUserProblem(user);
    if (userProblem !== null) return { ok: false, message: userProblem };
    return { ok: true, value, form: 'down-level' };
  }
  if (ats === 1) {
    const [user = '', domain = ''] = value.split('@');
    const userProblem = accountUserProblem(user);
    if (userProblem !== null) return { ok: false, message: userProblem };
    if (user.includes(' ')) return { ok: false, message: 'The user name of a user@domain account cannot contain spaces.' };
    if (domain === '') return { ok: false, message: 'The domain after "@" is missing; write it as user@domain.com.' };
    if (!domain.includes('.')) return { ok: false, message: 'The domain after "@" must be a DNS domain with a dot, for example contoso.com.' };
    const host = checkHostName(domain);
    if (!host.ok) return { ok: false, message: `The domain part is not valid: ${host.message}` };
    if (host.kind === 'ipv4') return { ok: false, message: 'The domain after "@" is an IP address; write the DNS domain, for example contoso.com.' };
    return { ok: true, value, form: 'upn' };
  }
  return {
    ok: false,
    message: 'Write the account with its domain, for example CONTOSO\\jdoe or jdoe@contoso.com; a bare user name is ambiguous on the second hop.',
  };
}

/**
 * Whether `account` is a local account of `host`: `HOST\user` with HOST the host's computer name (the
 * first label of its DNS name, case-insensitive). A local account has no Kerberos, so every connection
 * made with it is NTLM (see plan.ts). By address the computer name is unknown: false.
 */
export function isLocalAccountOf(account: string | null | undefined, host: string): boolean {
  if (!account || isIPv4(host)) return false;
  const slash = account.indexOf('\\');
  if (slash <= 0) return false;
  return account.slice(0, slash).toLowerCase() === (host.split('.')[0] ?? '').toLowerCase();
}

export function checkProfileName(value: string): Check {
  if (value.length === 0) return { ok: false, message: 'Give the profile a name.' };
  if (value.length > PROFILE_LIMITS.nameMax)
    return { ok: false, message: `The name is ${value.length} characters long; at most ${PROFILE_LIMITS.nameMax} are allowed.` };
  for (const ch of value) {
    if (CONTROL.test(ch)) return { ok: false, message: `The name contains ${describeChar(ch)}.` };
  }
  return { ok: true, value };
}

export function checkProbeCommand(value: string): Check {
  if (value.trim().length === 0) return { ok: false, message: 'Enter the command to run on the target, for example Get-ChildItem \\\\fs01\\share.' };
  if (value.length > PROFILE_LIMITS.probeCommandMax)
    return { ok: false, message: `The command is ${value.length} characters long; at most ${PROFILE_LIMITS.probeCommandMax} are allowed.` };
  if (value.includes('\u0000')) return { ok: false, message: 'The command contains a NUL character.' };
  return { ok: true, value };
}

export function checkNotes(value: string): Check {
  if (value.length > PROFILE_LIMITS.notesMax)
    return { ok: false, message: `The notes are ${value.length} characters long; at most ${PROFILE_LIMITS.notesMax} are allowed.` };
  if (value.includes('\u0000')) return { ok: false, message: 'The notes contain a NUL character.' };
  return { ok: true, value };
}

/** Compares profile names the way the user sees them: case-insensitive, Unicode-normalised. */
export function sameProfileName(a: string, b: string): boolean {
  return a.normalize('NFC').toLocaleLowerCase('en') === b.normalize('NFC').toLocaleLowerCase('en');
}
