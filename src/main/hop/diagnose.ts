// From a PowerShell error record to { cause, explanation, fix, fixable }. Windows is localized, so the
// record's codes and ids decide first (WinRM error number, FullyQualifiedErrorId, hex codes that stay
// in any language); English text is the last resort. The ladder and table are in windows-credssp.md.
import type { Diagnosis, ErrorRecordData } from '../../shared/domain/hop';
import { spnFor } from './match';
import { ntlmOnlyWarning } from './plan';

export interface DiagnoseContext {
  /** The jump server as typed, and the target. */
  jumpServer: string;
  target: string;
  /**
   * Where it failed: the connection to the jump server, the hop from it to the target, or this
   * computer itself (its WSMan: drive or WinRM service, in a client step).
   */
  stage: 'jump' | 'target' | 'local';
  /** The jump server's service flag as last read, when known (tells E4 from E7: same code 5). */
  serverCredSSP?: boolean | null | undefined;
  /** Whether the outer session used CredSSP. */
  outerAuthentication?: 'CredSSP' | 'Kerberos' | 'Default' | 'Negotiate' | undefined;
  clientElevated?: boolean | undefined;
  /** True when a domain GPO owns the client's delegation list (then E2 is not CredHop's to fix). */
  delegationPolicyManaged?: boolean | undefined;
  /** True when a Group Policy owns this computer's TrustedHosts list (then CredHop cannot add to it). */
  trustedHostsPolicyOwned?: boolean | undefined;
}

/**
 * The jump server is not in this computer's TrustedHosts (by its code, or seen in the client's state
 * before connecting by address). CredHop can add exactly that one entry, under the NTLM-only warning;
 * not when a GPO owns the list, and not for the target (that list is the jump server's).
 */
export function trustedHostsDiagnosis(ctx: DiagnoseContext): Diagnosis {
  const host = ctx.stage === 'target' ? ctx.target : ctx.jumpServer;
  const base = {
    id: 'trusted-hosts',
    cause: `${host} is not in this computer's TrustedHosts list`,
    explanation: `Without Kerberos (connecting by IP address, to a machine without a WSMAN service name, or outside the domain) WinRM only sends credentials to machines listed in TrustedHosts or over HTTPS.${ctx.stage === 'target' ? ` Here the list is the one on ${ctx.jumpServer}, which CredHop does not change.` : ''}`,
  };
  const manual = `Set-Item WSMan:\\localhost\\Client\\TrustedHosts -Value ${host} -Concatenate`;
  if (ctx.stage === 'target') {
    return { ...base, fix: `Use the target's DNS name. Otherwise an administrator of ${ctx.jumpServer} can add exactly ${host} (never *) there with: ${manual}`, fixable: false };
  }
  if (ctx.trustedHostsPolicyOwned) {
    return { ...base, fix: `A Group Policy sets TrustedHosts on this computer: ask a domain administrator to add exactly ${host} (never *) to "Windows Remote Management (WinRM) > WinRM Client > Trusted Hosts", or connect by the machine's DNS name.`, fixable: false };
  }
  return {
    ...base,
    fix: `Connect by the machine's DNS name instead, or use HTTPS. Otherwise CredHop can add exactly ${host} (never *) to TrustedHosts, starting WinRM here if it is stopped, and put the list back exactly when it restores (by hand: ${manual}).`,
    fixable: true,
    fixChange: { kind: 'trusted-hosts', host: 'client', entry: host },
    warning: ntlmOnlyWarning(host),
  };
}

const CODES = {
  noLogonSession: 1312,
  allowFresh: -2144108125,
  allowFreshNtlm: -2144108124,
  accessDenied: 5,
  credsspDisabled: -2144108126,
  securityUnmapped: -2144108387,
  timeout: -2144108250,
  notFound: -2144108103,
  cannotConnect: -2144108526,
  /** ERROR_WSMAN_SERVER_NOT_TRUSTED (0x803380E4): NTLM/CredSSP by address or without SPN, not in TrustedHosts. */
  serverNotTrusted: -2144108316,
  ipAddress: -2144108101,
  logonFailure: 1326,
} as const;

/** Codes may arrive as signed decimal, hex or unsigned decimal (WSManFault XML); fold to signed 32-bit. */
export function normalizeCode(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value, 16) : Number(value);
  if (!Number.isFinite(n)) return null;
  return n | 0;
}

function idHead(record: ErrorRecordData): string {
  return (record.fullyQualifiedErrorId ?? '').split(',')[0]!.trim();
}

function codeOf(record: ErrorRecordData): number | null {
  const direct = normalizeCode(record.errorCode);
  if (direct !== null && direct !== 0) return direct;
  const head = idHead(record);
  if (/^-?\d+$/.test(head)) return normalizeCode(head);
  return null;
}

const has = (record: ErrorRecordData, needle: RegExp): boolean => needle.test(record.message);

export function diagnose(record: ErrorRecordData, ctx: DiagnoseContext): Diagnosis {
  const code = codeOf(record);
  const head = idHead(record).toLowerCase();
  const spn = spnFor(ctx.jumpServer);
  const host = ctx.stage === 'jump' ? ctx.jumpServer : ctx.target;

  if (code === CODES.noLogonSession || has(record, /0x8009030e/i)) {
    if (ctx.outerAuthentication === 'CredSSP') {
      return { id: 'E1', cause: 'The jump server had no credentials to pass on', explanation: `The hop from ${ctx.jumpServer} to ${ctx.target} failed for lack of delegable credentials although the session asked for CredSSP, which means the outer session was not really a CredSSP session.`, fix: 'Run the check again and make sure both configuration steps succeeded; then test again.', fixable: false };
    }
    return {
      id: 'E1',
      cause: 'Kerberos would not delegate your credentials for the second hop',
      explanation: `From ${ctx.jumpServer}, the command to ${ctx.target} had no credentials to use (error 0x8009030e): a normal Kerberos session cannot pass them on.`,
      fix: 'Set up CredSSP with the client and server steps, or pass credentials explicitly to the inner command.',
      fixable: false,
    };
  }
  if (code === CODES.allowFresh) {
    const managed = ctx.delegationPolicyManaged === true;
    return {
      id: 'E2',
      cause: `This computer may not delegate credentials to ${spn}`,
      explanation: `The policy "Allow delegating fresh credentials" has no entry matching ${spn}. Windows matches the name exactly as you typed it, so a short name and an FQDN are different entries.`,
      fix: managed ? 'A domain Group Policy sets this list: ask a domain administrator to add the entry there.' : `Add ${spn} to the list (the client step does this).`,
      fixable: !managed,
      ...(managed ? {} : { fixChange: { kind: 'add-delegation' as const, host: 'client' as const, list: 'fresh' as const, spn } }),
    };
  }
  if (code === CODES.allowFreshNtlm) {
    return {
      id: 'E3',
      cause: `${ctx.jumpServer} could only be authenticated by NTLM, which the delegation policy does not trust`,
      explanation: 'This happens when you connect by IP address, when the jump server has no WSMAN service principal name, or in a workgroup: Windows cannot verify who it is talking to.',
      fix: `Best: connect by name and make sure the SPN exists (setspn -S WSMAN/${ctx.jumpServer} ${ctx.jumpServer}) or use HTTPS. Otherwise CredHop can add ${spn} to the NTLM-only list.`,
      fixable: true,
      fixChange: { kind: 'add-delegation', host: 'client', list: 'freshNtlm', spn },
      warning: 'The NTLM-only list lets this computer send your password to a server whose identity was not verified. Only confirm if you trust the network path to this server.',
    };
  }
  if (code === CODES.credsspDisabled) {
    return { id: 'E5', cause: 'CredSSP is off in this computer\'s WinRM client', explanation: 'The WinRM client refuses CredSSP until it is turned on.', fix: 'Turn on CredSSP in the WinRM client (the client step does this).', fixable: true, fixChange: { kind: 'client-credssp', host: 'client', enabled: true } };
  }
  if (code === CODES.securityUnmapped || has(record, /0x80090322/i)) {
    return { id: 'E6', cause: `Kerberos could not verify ${host}: its HTTP service name belongs to another account`, explanation: `The HTTP/${host} service principal name is registered to a service account, so the ticket cannot be checked (error 0x80090322).`, fix: `Ask an administrator to fix the SPN with setspn, or connect with -SessionOption (New-PSSessionOption -IncludePortInSPN).`, fixable: false };
  }
  if (code === CODES.accessDenied || head === 'accessdenied') {
    const authNotSupported = has(record, /authentication mechanism requested by the client is not supported/i);
    if (ctx.stage === 'jump' && (ctx.serverCredSSP === false || (ctx.serverCredSSP === undefined && authNotSupported))) {
      return { id: 'E4', cause: `${ctx.jumpServer} does not accept CredSSP`, explanation: `CredSSP is off in the WinRM service of ${ctx.jumpServer}, so it refused the CredSSP logon.`, fix: `Turn on CredSSP in the WinRM service of ${ctx.jumpServer} (the server step does this).`, fixable: true, fixChange: { kind: 'server-credssp', host: 'server', enabled: true } };
    }
    return { id: 'E7', cause: `The account is not allowed on ${host}`, explanation: `${host} refused the connection: the account is not an administrator there (or not in Remote Management Users).`, fix: `Use an account that is an administrator on ${host}, or ask for this one to be added.`, fixable: false };
  }
  if (code === CODES.timeout || head === 'winrmoperationtimeout') {
    return { id: 'unreachable', cause: `${host} did not answer`, explanation: `WinRM on ${host} did not respond in time: the machine may be off, or a firewall blocks port 5985.`, fix: `Check that ${host} is running and that WinRM is allowed through its firewall (Enable-PSRemoting), then try again.`, fixable: false };
  }
  if (code === CODES.notFound || head === 'computernotfound') {
    return { id: 'not-found', cause: `The name ${host} could not be found`, explanation: 'The name does not resolve in DNS.', fix: 'Check the spelling, or use the full name (FQDN) of the machine.', fixable: false };
  }
  // On this computer the same code (and an InvalidOperationException from the WSMan: drive) means the
  // local WinRM service is stopped: "cannot connect to the destination" is misleading there.
  // CredHop's own refusal to let the WSMan: drive start a stopped WinRM unplanned says the same.
  if (ctx.stage === 'local' && (code === CODES.cannotConnect || has(record, /client cannot connect to the destination specified|WinRM service is not running on this computer/i))) {
    return { id: 'winrm-stopped-local', cause: 'WinRM is not running on this computer', explanation: 'CredHop changes this computer\'s WinRM settings through the local WinRM service, and it is stopped (Windows 10 and 11 leave it on Manual). This is not a network problem.', fix: 'Run the check again: CredHop then plans to start WinRM for the change and to stop it again when it restores. Or start it yourself: Start-Service WinRM.', fixable: false };
  }
  if (code === CODES.serverNotTrusted || head === 'servernottrusted') {
    return trustedHostsDiagnosis(ctx);
  }
  if (code === CODES.cannotConnect || head === 'cannotconnect') {
    return { id: 'winrm-stopped', cause: `WinRM is not listening on ${host}`, explanation: 'The machine answered, but the WinRM service is stopped or its port is closed.', fix: `Start WinRM on ${host} (Enable-PSRemoting -Force), then try again.`, fixable: false };
  }
  if (code === CODES.ipAddress || head === 'cannotuseipaddress') {
    return { id: 'ip-address', cause: 'An IP address cannot be used with Kerberos', explanation: 'Kerberos needs a computer name; connecting by address would fall back to NTLM, which WinRM refuses by default.', fix: 'Use the machine\'s name (preferably its FQDN) in the profile.', fixable: false };
  }
  if (code === CODES.logonFailure || has(record, /user name or password is incorrect/i)) {
    return { id: 'logon-failure', cause: 'The user name or password is wrong', explanation: `${host} rejected the account's password.`, fix: 'Enter the password again (and update the one saved in the keychain).', fixable: false };
  }
  if (has(record, /Requests must include user name and password when CredSSP/i)) {
    return { id: 'no-credential', cause: 'CredSSP needs your user name and password', explanation: 'A CredSSP connection cannot use your current logon: it must be given the credential explicitly.', fix: 'Enter the account\'s password and test again.', fixable: false };
  }
  if (has(record, /setting cannot be (enabled|disabled)/i)) {
    return { id: 'E9', cause: 'A domain Group Policy controls credential delegation on this computer', explanation: 'The "Allow delegating fresh credentials" setting is set by a domain GPO, which wins over any local change.', fix: 'Ask a domain administrator to change the GPO; CredHop will not retry.', fixable: false };
  }
  if (has(record, /controlled by policies/i)) {
    return { id: 'W1', cause: 'A Group Policy controls the WinRM CredSSP setting', explanation: 'WinRM\'s "Allow CredSSP authentication" policy is set, so the setting cannot be changed locally.', fix: 'Ask a domain administrator to set that policy to "Not Configured" or Enabled.', fixable: false };
  }
  if (ctx.clientElevated === false || has(record, /elevated process/i) || head === 'system.invalidoperationexception') {
    return { id: 'E10', cause: 'CredHop is not running as administrator', explanation: 'Changing CredSSP and delegation policy needs an elevated process.', fix: 'Close CredHop and start it with "Run as administrator".', fixable: false };
  }
  return {
    id: 'unknown',
    cause: 'PowerShell reported an error CredHop does not recognise',
    explanation: record.message.slice(0, 500),
    fix: 'Read the message above. If anything was changed, Clean up now puts it back.',
    fixable: false,
  };
}
