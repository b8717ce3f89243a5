import { describe, expect, it } from 'vitest';
import {
  checkAccount,
  checkHostName,
  checkTargetName,
  fieldsFromInput,
  hopProfileInputSchema,
  passwordSchema,
  PROFILE_LIMITS,
  profileMatches,
} from '../../src/shared/domain/profile';

const valid = {
  name: 'Payroll via jump01',
  jumpServer: 'jump01',
  jumpServerConnectAs: 'jump01.corp.contoso.com',
  target: 'fs01.corp.contoso.com',
  jumpAccount: 'CONTOSO\\helpdesk1',
  targetAccount: 'admin.fs@corp.contoso.com',
  probeCommand: 'Get-ChildItem \\\\fs01\\payroll | Select-Object -First 5',
  timeBoxMinutes: 60,
  notes: 'Ticket 4711',
};

function messageFor(field: keyof typeof valid, value: unknown): string {
  const result = hopProfileInputSchema.safeParse({ ...valid, [field]: value });
  expect(result.success, `${field} = ${JSON.stringify(value)?.slice(0, 60)} should be refused`).toBe(false);
  const issue = result.error?.issues[0];
  expect(issue?.path[0]).toBe(field);
  return issue?.message ?? '';
}

describe('host names', () => {
  it.each([
    ['jump01', 'netbios'],
    ['JUMP-01', 'netbios'],
    ['mem2', 'netbios'],
    ['MEM_2', 'netbios'], // NetBIOS allows an underscore, DNS does not
    ['a-very-long-single-label-host', 'single-label'],
    ['jump01.corp.contoso.com', 'fqdn'],
    ['xn--bcher-kva.example', 'fqdn'],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, 'fqdn'], // 253 characters
    ['192.168.10.11', 'ipv4'], // helpdesk staff connect by address; plan.ts plans TrustedHosts and the NTLM-only list
    ['10.0.0.5', 'ipv4'],
    ['0.0.0.0', 'ipv4'],
    ['255.255.255.255', 'ipv4'],
  ])('accepts %s as %s', (name, kind) => {
    const r = checkHostName(name);
    expect(r).toMatchObject({ ok: true, value: name, kind });
  });

  it.each([
    ['', /Enter a server name/],
    ['*.contoso.com', /Wildcards/],
    ['jump*', /Wildcards/],
    ['jump01.contoso.com.', /trailing dot/],
    ['jump..contoso.com', /empty/],
    ['.contoso.com', /empty/],
    ['-jump.contoso.com', /hyphen/],
    ['jump-.contoso.com', /hyphen/],
    ['jump_01.contoso.com', /contains "_"/],
    [`${'a'.repeat(64)}.contoso.com`, /at most 63/],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, /at most 253/],
    ['10.0.0.256', /not a valid IPv4 address.*four numbers from 0 to 255/],
    ['1.2.3', /not a valid IPv4 address/],
    ['1.2.3.4.5', /not a valid IPv4 address/],
    ['010.0.0.1', /leading zeros/],
    ['999.1.1.1', /not a valid IPv4 address/],
    ['fe80::1', /IPv6 addresses are not accepted/],
    ['[::1]', /IPv6 addresses are not accepted/],
    ['jump01:5985', /port/],
    ['http://jump01/wsman', /not a URL/],
    ['\\\\jump01', /backslashes/],
    ['CONTOSO\\jump01', /account/],
    ['admin@jump01', /account/],
    ['jump01,jump02', /one server/],
    ['jump 01', /a space/],
    ['jump\u000001', /NUL/],
    ['jump\n01', /line break/],
    ['jümp01.contoso.com', /non-ASCII/],
    ['host.123', /only digits/],
    ['12345', /digits only/],
    ['JUMP"01', /computer names cannot contain/],
    ['a-name-longer-than-15_chars', /contains "_"/],
  ])('refuses %j with a message that says what is wrong', (name, message) => {
    const r = checkHostName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('the target', () => {
  it('takes names like the jump server, but not an address, and says why', () => {
    expect(checkTargetName('mem2.company.pri')).toMatchObject({ ok: true, kind: 'fqdn' });
    const r = checkTargetName('192.168.10.12');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/DNS name.*TrustedHosts/);
    expect(checkTargetName('10.0.0.256').ok).toBe(false);
  });

  it('refuses an address as the target of a saved profile, and accepts one as the jump server', () => {
    const base = { name: 'By address', jumpServer: '192.168.10.11', target: 'mem2.company.pri', jumpAccount: 'COMPANY\\Administrator', probeCommand: 'hostname' };
    expect(hopProfileInputSchema.safeParse(base).success).toBe(true);
    expect(hopProfileInputSchema.safeParse({ ...base, target: '192.168.10.12' }).success).toBe(false);
  });
});

describe('accounts', () => {
  it.each([
    ['CONTOSO\\jdoe', 'down-level'],
    ['corp.contoso.com\\jdoe', 'down-level'],
    ['JUMP01\\Administrator', 'down-level'],
    ['jdoe@contoso.com', 'upn'],
    ['j.doe-admin@corp.contoso.com', 'upn'],
    ['CONTOSO\\John Doe', 'down-level'],
  ])('accepts %s', (account, form) => {
    expect(checkAccount(account)).toMatchObject({ ok: true, value: account, form });
  });

  it.each([
    ['', /Enter an account/],
    ['jdoe', /with its domain/],
    ['.\\Administrator', /local account/],
    ['\\jdoe', /domain before the backslash is missing/],
    ['CONTOSO\\', /user name part is empty/],
    ['CONTOSO\\a\\b', /more than one backslash/],
    ['a@b@contoso.com', /more than one "@"/],
    ['CONTOSO\\jdoe@contoso.com', /one form only/],
    ['jdoe@contoso', /DNS domain with a dot/],
    ['jdoe@', /domain after "@" is missing/],
    ['@contoso.com', /user name part is empty/],
    ['CON*TOSO\\jdoe', /domain part is not valid: Wildcards/],
    ['10.0.0.1\\jdoe', /domain part is an IP address/],
    ['jdoe@10.0.0.1', /IP address/],
    ['CONTOSO\\j"doe', /Windows account names cannot contain/],
    ['CONTOSO\\j;doe', /cannot contain/],
    ['CONTOSO\\...', /only of dots/],
    ['john doe@contoso.com', /cannot contain spaces/],
    [`CONTOSO\\${'x'.repeat(65)}`, /at most 64/],
    ['CONTOSO\\jdoe\u0000', /control character/],
    ['CONTOSO\\jdoe\r\nInvoke-Evil', /line break/],
    ['jdoe@-contoso.com', /hyphen/],
  ])('refuses %j', (account, message) => {
    const r = checkAccount(account);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('the profile input schema', () => {
  it('accepts a full profile and fills defaults', () => {
    const parsed = hopProfileInputSchema.parse({ ...valid, jumpServerConnectAs: undefined, targetAccount: '', timeBoxMinutes: undefined, notes: undefined });
    const fields = fieldsFromInput(parsed);
    expect(fields.jumpServerConnectAs).toBe('jump01');
    expect(fields.targetAccount).toBeNull();
    expect(fields.timeBoxMinutes).toBe(60);
    expect(fields.notes).toBe('');
  });

  it('trims names but keeps the probe command exactly as typed', () => {
    const parsed = hopProfileInputSchema.parse({ ...valid, name: '  Payroll  ', jumpServer: ' jump01 ', probeCommand: '  hostname\n' });
    expect(parsed.name).toBe('Payroll');
    expect(parsed.jumpServer).toBe('jump01');
    expect(parsed.probeCommand).toBe('  hostname\n');
  });

  it('refuses unknown fields (a password can never ride along with a profile)', () => {
    const r = hopProfileInputSchema.safeParse({ ...valid, password: 'hunter2' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).not.toContain('hunter2');
  });

  // Hostile input for every field: wrong types, huge strings, control characters, injection attempts.
  const hostile: Array<[keyof typeof valid, unknown, RegExp]> = [
    ['name', '', /Give the profile a name/],
    ['name', 'x'.repeat(PROFILE_LIMITS.nameMax + 1), /at most 80/],
    ['name', 'x'.repeat(5_000_000), /far too long/],
    ['name', 'evil\u0007bell', /control character/],
    ['name', 42, /expected string/i],
    ['jumpServer', '$(Remove-Item C:\\ -Recurse)', /.+/],
    ['jumpServer', "jump01'; Stop-Computer; '", /.+/],
    ['jumpServer', 'x'.repeat(5_000_000), /far too long/],
    ['jumpServer', null, /expected string/i],
    ['jumpServerConnectAs', '*', /Wildcards/],
    ['jumpServerConnectAs', 'jump01.contoso.com.', /trailing dot/],
    ['target', '<script>alert(1)</script>', /.+/],
    ['target', '../../etc/passwd', /.+/],
    ['target', ['fs01'], /expected string/i],
    ['jumpAccount', 'jdoe', /with its domain/],
    ['jumpAccount', 'CONTOSO\\<script>', /cannot contain/],
    ['jumpAccount', { user: 'x' }, /.+/],
    ['targetAccount', 'CONTOSO\\a|b', /cannot contain/],
    ['targetAccount', 7, /.+/],
    ['probeCommand', '', /Enter the command/],
    ['probeCommand', '   ', /Enter the command/],
    ['probeCommand', 'Get-Date\u0000; rm -rf /', /NUL/],
    ['probeCommand', 'x'.repeat(PROFILE_LIMITS.probeCommandMax + 1), /at most 4096/],
    ['probeCommand', 'x'.repeat(5_000_000), /far too long/],
    ['timeBoxMinutes', 0, /at least 1/],
    ['timeBoxMinutes', 481, /at most 480/],
    ['timeBoxMinutes', 1.5, /whole number/],
    ['timeBoxMinutes', Number.NaN, /.+/],
    ['timeBoxMinutes', Number.POSITIVE_INFINITY, /.+/],
    ['timeBoxMinutes', '60', /expected number/i],
    ['notes', 'x'.repeat(PROFILE_LIMITS.notesMax + 1), /at most 4000/],
    ['notes', 'a\u0000b', /NUL/],
  ];
  const labelled = hostile.map(([field, value, message], i) => {
    const shown = typeof value === 'string' && value.length > 40 ? `${value.length} chars` : JSON.stringify(value) ?? String(value);
    return [`#${i} ${field} = ${shown}`, field, value, message] as const;
  });
  it.each(labelled)('refuses hostile %s', (_label, field, value, message) => {
    expect(messageFor(field, value)).toMatch(message);
  });

  it('accepts the probe command as data: quotes, pipes, semicolons and newlines are the user\'s code', () => {
    const probe = "Invoke-Command -ComputerName fs01 { Get-Item 'C:\\x'; \"$env:USERNAME\" | Out-String }\r\nexit 0";
    expect(hopProfileInputSchema.parse({ ...valid, probeCommand: probe }).probeCommand).toBe(probe);
  });

  it('accepts the time box limits 1 and 480', () => {
    expect(hopProfileInputSchema.parse({ ...valid, timeBoxMinutes: 1 }).timeBoxMinutes).toBe(1);
    expect(hopProfileInputSchema.parse({ ...valid, timeBoxMinutes: 480 }).timeBoxMinutes).toBe(480);
  });
});

describe('passwords and search', () => {
  it('bounds passwords and forbids NUL without echoing the password', () => {
    expect(passwordSchema.safeParse('').success).toBe(false);
    const nul = passwordSchema.safeParse('se\u0000cret-value');
    expect(nul.success).toBe(false);
    expect(JSON.stringify(nul.error?.issues)).not.toContain('cret-value');
    expect(passwordSchema.safeParse('p'.repeat(1025)).success).toBe(false);
    expect(passwordSchema.parse(' with spaces "and quotes" ')).toBe(' with spaces "and quotes" ');
  });

  it('searches name, hosts, accounts and notes case-insensitively', () => {
    const fields = fieldsFromInput(hopProfileInputSchema.parse(valid));
    for (const q of ['payroll', 'JUMP01.CORP', 'fs01', 'helpdesk1', 'admin.fs', '4711', '']) expect(profileMatches(fields, q)).toBe(true);
    expect(profileMatches(fields, 'nothing-like-this')).toBe(false);
  });
});
