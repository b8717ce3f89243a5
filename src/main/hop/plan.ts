// From the snapshot and the profile, the minimal list of changes: nothing already in place is changed
// again, no duplicate entry is added, and whatever would make a change fail or not stick is a blocker.
import type { Blocker, Change, DelegationListName, Plan, PlannedChange, Snapshot, StorePair } from '../../shared/domain/hop';
import { isIPv4, isLocalAccountOf } from '../../shared/domain/profile-rules';
import { controlledElsewhere, entryAllows, listAllows, spnFor } from './match';
import { psLiteral } from './quote';
import { trustedHostsAllows } from './trusted-hosts';

export interface PlanInput {
  snapshot: Snapshot;
  /** The jump server exactly as CredHop will connect to it (the FQDN by default). */
  jumpServer: string;
  target: string;
  account: string;
  /** Set when the target needs another account than the jump server. */
  targetAccount?: string | undefined;
  /** A wildcard entry such as `wsman/*.company.pri`, only with an explicit, confirmed opt-in. */
  wildcard?: { spn: string; confirmed: boolean } | undefined;
  /**
   * Use the NTLM-only list and TrustedHosts (the diagnosis asked for it, or the jump server is an
   * address, and the user confirmed the warning).
   */
  ntlmOnlyConfirmed?: boolean | undefined;
}

/** The one warning the operator confirms for the NTLM-only list and TrustedHosts together. */
export function ntlmOnlyWarning(jumpServer: string, localAccount?: string): string {
  const why = localAccount ? `${localAccount} is a local account, which Kerberos cannot sign in` : 'it is reached by address, or has no WSMAN service name';
  return `Windows cannot verify who ${jumpServer} is (${why}), so CredSSP needs two entries that trust it without that proof: ${spnFor(jumpServer)} in the NTLM-only delegation list, and ${jumpServer} in this computer's WinRM TrustedHosts list. Both let this computer send your password to whatever machine answers as ${jumpServer}. Only confirm if you trust the network path to it; CredHop removes both when it restores.`;
}

/**
 * What the TrustedHosts list needs for `jumpServer`: nothing (already trusted, or not readable in an
 * older snapshot), one entry CredHop can add, or a blocker when a Group Policy owns the list.
 */
export function trustedHostsNeed(client: Snapshot['client'], jumpServer: string): 'none' | 'add' | 'policy' {
  const th = client.trustedHosts;
  if (!th || th.value === null) return 'none';
  if (trustedHostsAllows(th.value, jumpServer)) return 'none';
  return th.policyOwned ? 'policy' : 'add';
}

export function trustedHostsPolicyBlocker(jumpServer: string): Blocker {
  return {
    code: 'trusted-hosts-policy',
    message: `${jumpServer} is not in this computer's WinRM TrustedHosts list, and a Group Policy sets that list, so CredHop cannot add it.`,
    resolution: `Ask a domain administrator to add exactly ${jumpServer} (not *) to "Computer Configuration > Administrative Templates > Windows Components > Windows Remote Management (WinRM) > WinRM Client > Trusted Hosts", or connect by the server's DNS name so Kerberos can verify it. Or use explicit credentials on the inner call over HTTPS.`,
  };
}

/** Starting WinRM when a client change needs it: a change, a blocker for a disabled service, or nothing. */
function serviceStart(client: Snapshot['client'], jumpServer: string, what: string, blockers: Blocker[], changes: PlannedChange[]): void {
  const service = client.winrmService;
  if (!service || service.status === 'Running' || changes.some((c) => c.change.kind === 'winrm-service')) return;
  if (service.startType === 'Disabled') {
    if (!blockers.some((b) => b.code === 'winrm-service-disabled')) {
      blockers.push({
        code: 'winrm-service-disabled',
        message: `The WinRM service is disabled on this computer, so CredHop cannot change ${what}.`,
        resolution: 'Ask an administrator to set the Windows Remote Management (WS-Management) service to Manual (Group Policy: Computer Configuration > Windows Settings > Security Settings > System Services), or use explicit credentials on the inner call, which needs no change here.',
      });
    }
    return;
  }
  changes.push(planned('client-winrm-service', 'client', { kind: 'winrm-service', host: 'client', running: true }, jumpServer));
}

/**
 * The plan for CredHop's own management connection to a jump server reached by address, before the
 * server can be read (see HopEngine.trustJumpServer): start WinRM if needed and add the one entry.
 */
export function buildTrustPlan(snapshot: Snapshot, jumpServer: string, target: string): Plan {
  const client = snapshot.client;
  const blockers: Blocker[] = [];
  const changes: PlannedChange[] = [];
  if (!client.isElevated) {
    blockers.push({ code: 'not-elevated', message: 'CredHop is not running as administrator, so it cannot change this computer\'s TrustedHosts list.', resolution: 'Close CredHop and start it again with "Run as administrator".' });
  }
  const need = trustedHostsNeed(client, jumpServer);
  if (need === 'policy') blockers.push(trustedHostsPolicyBlocker(jumpServer));
  if (need === 'add') {
    serviceStart(client, jumpServer, 'its TrustedHosts list', blockers, changes);
    changes.push(planned('client-trusted-hosts', 'client', { kind: 'trusted-hosts', host: 'client', entry: jumpServer }, jumpServer, ntlmOnlyWarning(jumpServer)));
  }
  return {
    jumpServer,
    target,
    spn: spnFor(jumpServer),
    changes,
    blockers,
    risks: need === 'add' ? [ntlmOnlyWarning(jumpServer)] : [],
    alternative: { recommended: false, reason: 'Connecting by the server\'s DNS name needs no TrustedHosts entry.', powershell: '' },
  };
}

const POLICY_KEY = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation';
const LIST_VALUES: Record<DelegationListName, { list: string; allow: string; concatenate: string }> = {
  fresh: { list: 'AllowFreshCredentials', allow: 'AllowFreshCredentials', concatenate: 'ConcatenateDefaults_AllowFresh' },
  freshNtlm: { list: 'AllowFreshCredentialsWhenNTLMOnly', allow: 'AllowFreshCredentialsWhenNTLMOnly', concatenate: 'ConcatenateDefaults_AllowFreshNTLMOnly' },
};

export function listValueNames(list: DelegationListName): { list: string; allow: string; concatenate: string } {
  return LIST_VALUES[list];
}

/**
 * The value name CredHop's module gives a new entry: the lowest whole number not used as a value name
 * in either store (local Group Policy or registry). Computed from the snapshot, so what is shown and
 * exported names the exact value CredHop writes.
 */
export function nextFreeValueName(stores: StorePair): string {
  const used = new Set([...stores.local.entries, ...stores.effective.entries].map((e) => e.name.toLowerCase()));
  let n = 1;
  while (used.has(String(n))) n += 1;
  return String(n);
}

/**
 * The PowerShell an administrator would run by hand for one change (shown, exported; never executed by
 * CredHop). For a delegation entry it writes the registry with the exact value name, creates a key
 * only when it is missing (never `New-Item -Force` over an existing key, which empties it), and writes
 * the same values into the local Group Policy object with the Registry.pol functions the exported
 * runbook defines (`Set-CredHopPolicyEntry`), as CredHop does.
 */
export function powershellFor(change: Change, jumpServer: string, valueName?: string): string {
  switch (change.kind) {
    case 'add-delegation': {
      const v = LIST_VALUES[change.list];
      const name = valueName ?? '1';
      return [
        `# Allow delegating fresh credentials to ${comment(change.spn)} as value ${name} (the next free number when CredHop checked),`,
        '# in the registry and in the local Group Policy object (Registry.pol), so a Group Policy refresh keeps it.',
        `$key = ${psLiteral(POLICY_KEY)}`,
        `$list = ${psLiteral(`${POLICY_KEY}\\${v.list}`)}`,
        '# Create a key only when it is missing: New-Item -Force on an existing key would empty it.',
        'foreach ($k in $key, $list) { if (-not (Test-Path -LiteralPath $k)) { New-Item -Path $k -Force | Out-Null } }',
        `New-ItemProperty -LiteralPath $key -Name ${psLiteral(v.allow)} -Value 1 -PropertyType DWord -Force | Out-Null`,
        `New-ItemProperty -LiteralPath $key -Name ${psLiteral(v.concatenate)} -Value 1 -PropertyType DWord -Force | Out-Null`,
        '# Without -Force: this fails rather than overwrite an entry that took the same value name meanwhile.',
        `New-ItemProperty -LiteralPath $list -Name ${psLiteral(name)} -Value ${psLiteral(change.spn)} -PropertyType String | Out-Null`,
        '# The local Group Policy object (function defined in the runbook CredHop exports):',
        `Set-CredHopPolicyEntry -List ${psLiteral(v.list)} -Name ${psLiteral(name)} -Value ${psLiteral(change.spn)}`,
      ].join('\n');
    }
    case 'client-credssp':
      return `Set-Item -Path WSMan:\\localhost\\Client\\Auth\\CredSSP -Value ${psLiteral(String(change.enabled))} -Force`;
    case 'winrm-service':
      return 'Start-Service -Name WinRM   # restore: Stop-Service -Name WinRM; Set-Service -Name WinRM -StartupType <as it was>';
    case 'server-credssp':
      return `Invoke-Command -ComputerName ${psLiteral(jumpServer)} -ScriptBlock { Set-Item -Path WSMan:\\localhost\\Service\\Auth\\CredSSP -Value ${psLiteral(String(change.enabled))} -Force }`;
    case 'trusted-hosts':
      return [
        `# Add exactly ${comment(change.entry)} (never *) to this computer's TrustedHosts; the entries already there stay.`,
        `Set-Item -Path WSMan:\\localhost\\Client\\TrustedHosts -Value ${psLiteral(change.entry)} -Concatenate -Force`,
        '# restore: Set-Item -Path WSMan:\\localhost\\Client\\TrustedHosts -Value <the list exactly as it was> -Force',
      ].join('\n');
    case 'restore-task':
      return `Register-ScheduledTask -TaskName 'CredHop restore <session>' -Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\\SYSTEM' -RunLevel Highest) ...   # on ${change.host === 'client' ? 'this computer' : jumpServer}; restore: Unregister-ScheduledTask`;
  }
}

/** Text for a PowerShell comment: no line break can end the comment and start a command. */
export function comment(text: string): string {
  return text.replace(/[\r\n\u0085\u2028\u2029]+/g, ' ');
}

export function titleFor(change: Change, jumpServer: string): string {
  switch (change.kind) {
    case 'add-delegation':
      return change.list === 'fresh'
        ? `Allow this computer to delegate fresh credentials to ${change.spn}`
        : `Allow delegating fresh credentials to ${change.spn} even when the server is authenticated by NTLM only`;
    case 'client-credssp':
      return `${change.enabled ? 'Turn on' : 'Turn off'} CredSSP in this computer's WinRM client`;
    case 'winrm-service':
      return 'Start the WinRM service on this computer (it is stopped; CredHop needs it to change WinRM\'s settings, and stops it again when it restores)';
    case 'server-credssp':
      return `${change.enabled ? 'Turn on' : 'Turn off'} CredSSP in the WinRM service of ${jumpServer}`;
    case 'trusted-hosts':
      return `Add ${change.entry} to this computer's WinRM TrustedHosts list (exactly this entry; the list is put back as it was on restore)`;
    case 'restore-task':
      return `Schedule a restore on ${change.host === 'client' ? 'this computer' : jumpServer} at the end of the time box (it runs even if CredHop is closed)`;
  }
}

function planned(id: string, step: PlannedChange['step'], change: Change, jumpServer: string, risk?: string, valueName?: string): PlannedChange {
  const item: PlannedChange = { id, step, change, title: titleFor(change, jumpServer), powershell: powershellFor(change, jumpServer, valueName) };
  if (risk) item.risk = risk;
  return item;
}

export function alternativeScript(jumpServer: string, target: string, account: string, targetAccount?: string): string {
  const lines: string[] = [];
  // NTLM: WinRM sends a local account's credentials only to machines in TrustedHosts (or over HTTPS).
  if (isLocalAccountOf(account, jumpServer)) lines.push(`# ${comment(account)} is a local account (NTLM): this computer's TrustedHosts must list ${comment(jumpServer)}.`);
  if (targetAccount && isLocalAccountOf(targetAccount, target)) lines.push(`# ${comment(targetAccount)} is a local account (NTLM): the TrustedHosts of ${comment(jumpServer)} must list ${comment(target)}.`);
  lines.push(`$jumpCred = Get-Credential -UserName ${psLiteral(account)} -Message 'Account for ${jumpServer.replace(/'/g, "''")}'`);
  if (targetAccount) lines.push(`$targetCred = Get-Credential -UserName ${psLiteral(targetAccount)} -Message 'Account for ${target.replace(/'/g, "''")}'`);
  const inner = targetAccount ? '$using:targetCred' : '$using:jumpCred';
  lines.push(
    `Invoke-Command -ComputerName ${psLiteral(jumpServer)} -Credential $jumpCred -ScriptBlock {`,
    `    Invoke-Command -ComputerName ${psLiteral(target)} -Credential ${inner} -ScriptBlock { hostname; whoami }`,
    '}',
  );
  return lines.join('\n');
}

export function buildPlan(input: PlanInput): Plan {
  const { snapshot, jumpServer } = input;
  const client = snapshot.client;
  const blockers: Blocker[] = [];
  const risks: string[] = [];
  const changes: PlannedChange[] = [];

  // By address, or with a local account of the jump server (NTLM only), Kerberos cannot verify the jump
  // server: only the NTLM-only list and TrustedHosts work.
  const byAddress = isIPv4(jumpServer);
  const local = localAccounts(input);
  const list: DelegationListName = input.ntlmOnlyConfirmed || byAddress || local.jump ? 'freshNtlm' : 'fresh';
  risks.push(...localAccountNotes(input, local));
  blockers.push(...localAccountBlockers(input, local, snapshot.server));
  let spn = spnFor(jumpServer);
  if (input.wildcard) {
    // The plan shows the wildcard it would apply, so what is listed is what a confirmation would do.
    spn = input.wildcard.spn;
    if (!entryAllows(spn, spnFor(jumpServer))) {
      blockers.push({
        code: 'wildcard-mismatch',
        message: `The wildcard ${spn} does not cover ${spnFor(jumpServer)}, so the hop would still be refused.`,
        resolution: `Use a wildcard that matches the jump server's name as CredHop connects to it (for example wsman/*.${jumpServer.split('.').slice(1).join('.') || 'your-domain'}), or its exact name.`,
      });
    }
    if (!input.wildcard.confirmed) {
      blockers.push({
        code: 'wildcard-unconfirmed',
        message: `A wildcard entry (${spn}) lets this computer hand your password to every matching server.`,
        resolution: 'Confirm the wildcard separately, or use the jump server\'s exact name instead.',
      });
    }
    risks.push(`Wildcard delegation: this computer may send fresh credentials to every server matching ${spn} until CredHop restores it.`);
  }

  if (list === 'freshNtlm' && !input.ntlmOnlyConfirmed) {
    blockers.push({
      code: 'ntlm-only-unconfirmed',
      message: byAddress || !local.jump
        ? `${jumpServer} is an IP address. ${ntlmOnlyWarning(jumpServer)}`
        : `${input.account} is a local account of ${jumpServer}, so Windows signs it in with NTLM. ${ntlmOnlyWarning(jumpServer, input.account)}`,
      resolution: byAddress || !local.jump
        ? `Confirm the NTLM-only list and TrustedHosts separately, or use the server's DNS name (then Kerberos verifies it and neither is needed).`
        : 'Confirm the NTLM-only list and TrustedHosts separately, or use a domain account for the jump server (then Kerberos verifies it and neither is needed).',
    });
  }
  if (jumpServer.toLowerCase() === input.target.toLowerCase()) {
    blockers.push({ code: 'same-host', message: 'The target is the jump server itself, so there is no second hop.', resolution: 'Enter the machine you need to reach from the jump server as the target.' });
  }
  if (!client.isElevated) {
    blockers.push({
      code: 'not-elevated',
      message: 'CredHop is not running as administrator, so it cannot change this computer\'s policy.',
      resolution: 'Close CredHop and start it again with "Run as administrator".',
    });
  }

  const stores = client.delegation[list];
  const needsDelegation = !listAllows(stores.effective, spn) || !listAllows(stores.local, spn);
  if (needsDelegation) {
    if (controlledElsewhere(stores.effective, stores.local)) {
      // The registry differs from the local GPO. Who wrote it decides: Windows' RSoP record names a
      // domain GPO (it wins, so a local change would not stick); no record means a script wrote the
      // registry directly (kept as it is, not a blocker); no RSoP at all means nobody can tell.
      const owners = client.policyOwners;
      const gpo = owners?.[list] ?? null;
      const listName = list === 'fresh' ? 'Allow delegating fresh credentials' : 'Allow delegating fresh credentials with NTLM-only server authentication';
      if (gpo) {
        blockers.push({
          code: 'delegation-policy-managed',
          message: `The "${listName}" policy on this computer is set by the domain Group Policy "${gpo.name ?? gpo.id}", which wins over any local change.`,
          resolution: `Ask a domain administrator to add ${spn} to that policy in the GPO "${gpo.name ?? gpo.id}" (Computer Configuration > Administrative Templates > System > Credentials Delegation), or set it to "Not Configured". Or use explicit credentials on the inner call, which needs no policy change.`,
        });
      } else if (owners && owners.rsopAvailable) {
        const extra = stores.effective.entries.filter((e) => !stores.local.entries.some((l) => l.name === e.name && l.value.toLowerCase() === e.value.toLowerCase())).map((e) => e.value);
        risks.push(`This computer's registry holds delegation entries that no Group Policy set (written by a script or another tool)${extra.length > 0 ? `: ${extra.join(', ')}` : ''}. CredHop leaves them exactly as they are.`);
      } else {
        blockers.push({
          code: 'delegation-owner-unknown',
          message: `The "${listName}" list in the registry differs from this computer's local policy, and Windows' record of which Group Policy set it (RSoP) cannot be read here, so CredHop cannot tell a domain GPO from a script.`,
          resolution: `Run "gpresult /scope computer /h report.html" as administrator to see whether a domain GPO sets Credentials Delegation. If one does, ask its administrator to add ${spn}; if not, RSoP logging may be turned off by policy. Or use explicit credentials on the inner call, which needs no policy change.`,
        });
      }
    }
    changes.push(planned('client-delegation', 'client', { kind: 'add-delegation', host: 'client', list, spn }, jumpServer,
      list === 'freshNtlm' ? 'The NTLM-only list does not verify the jump server\'s identity: a machine pretending to be it could receive your password.' : undefined,
      nextFreeValueName(stores)));
  }

  // The NTLM-only list goes with TrustedHosts: without it WinRM refuses to send credentials at all.
  const trust = list === 'freshNtlm' ? trustedHostsNeed(client, jumpServer) : 'none';
  if (trust === 'policy') blockers.push(trustedHostsPolicyBlocker(jumpServer));
  if (client.winrm.clientCredSSP !== true || trust === 'add') {
    // The WSMan: drive needs the local WinRM service; on a Windows 10/11 client it is usually stopped.
    serviceStart(client, jumpServer, client.winrm.clientCredSSP !== true ? 'its CredSSP setting' : 'its TrustedHosts list', blockers, changes);
  }
  if (trust === 'add') {
    changes.push(planned('client-trusted-hosts', 'client', { kind: 'trusted-hosts', host: 'client', entry: jumpServer }, jumpServer,
      'TrustedHosts lets WinRM send your credentials to this entry without verifying who answers; CredHop puts the list back exactly when it restores.'));
  }

  if (client.winrm.clientCredSSP !== true) {
    if (client.winrm.clientPolicyAllowCredSSP !== null) {
      blockers.push({
        code: 'client-winrm-policy',
        message: 'A Group Policy controls CredSSP in this computer\'s WinRM client (Allow CredSSP authentication), so CredHop cannot turn it on.',
        resolution: 'Ask a domain administrator to set "Windows Components > Windows Remote Management > WinRM Client > Allow CredSSP authentication" to Enabled or Not Configured.',
      });
    }
    changes.push(planned('client-credssp', 'client', { kind: 'client-credssp', host: 'client', enabled: true }, jumpServer));
  }

  if (snapshot.server.serviceCredSSP !== true) {
    if (snapshot.server.servicePolicyAllowCredSSP !== null) {
      blockers.push({
        code: 'server-winrm-policy',
        message: `A Group Policy controls CredSSP in the WinRM service of ${jumpServer}, so CredHop cannot turn it on.`,
        resolution: 'Ask a domain administrator to set "Windows Components > Windows Remote Management > WinRM Service > Allow CredSSP authentication" to Enabled or Not Configured for the jump server.',
      });
    }
    // CredHop's scripts there, and the scheduled restore that runs there as SYSTEM, need full PowerShell.
    const server = snapshot.server;
    if (server.languageMode && server.languageMode !== 'FullLanguage') {
      blockers.push({
        code: 'jump-server-locked-down',
        message: `PowerShell on ${jumpServer} runs CredHop's commands in ${server.languageMode} (an App Control or AppLocker policy), so CredHop cannot turn CredSSP on there and schedule its restore.`,
        resolution: `Ask an administrator of ${jumpServer} to turn on "Windows Components > Windows Remote Management > WinRM Service > Allow CredSSP authentication" for the job and off afterwards, or use the test with explicit credentials (it needs no change).`,
      });
    } else if (server.executionPolicy === 'Restricted') {
      blockers.push({
        code: 'jump-server-locked-down',
        message: `A Group Policy sets PowerShell's execution policy on ${jumpServer} to Restricted, so no script runs there: CredHop's scheduled restore could never put CredSSP back off.`,
        resolution: `Ask an administrator of ${jumpServer} to allow signed scripts ("Turn on Script Execution") and trust the publisher of CredHop's signed module there, or use the test with explicit credentials (it needs no change).`,
      });
    } else if (server.executionPolicy === 'AllSigned') {
      risks.push(`A Group Policy sets AllSigned on ${jumpServer}: its scheduled restore runs there as SYSTEM, which cannot answer an "untrusted publisher" prompt, so it runs only if CredHop's module is signed and its publisher is in ${jumpServer}'s Trusted Publishers (Local Computer). If not, restore before the time box ends (Clean up).`);
    }
    changes.push(planned('server-credssp', 'server', { kind: 'server-credssp', host: 'server', enabled: true }, jumpServer,
      'While CredSSP is on, your credentials stay reusable in the jump server\'s memory; CredHop turns it off again when you restore.'));
  }

  if (changes.length > 0) {
    risks.push('CredSSP hands your password to the jump server. Use it only with a jump server you trust, and restore as soon as the job is done.');
  }
  if (client.policyEditorOpen === true && changes.some((c) => c.change.kind === 'add-delegation')) {
    risks.push('The Local Group Policy Editor (gpedit.msc) is open on this computer. It rewrites the local policy file when it closes and could undo this change: close it before you apply.');
  }
  if (client.encryptionOracle === 2) {
    risks.push('This computer allows vulnerable CredSSP connections (AllowEncryptionOracle = 2, CVE-2018-0886). Ask an administrator to set it to 0 or 1.');
  }

  const differentAccount = input.targetAccount !== undefined && input.targetAccount.toLowerCase() !== input.account.toLowerCase();
  // (the local-account blockers stand in the way of the explicit alternative just as much)
  const cannotUseCredSSP = blockers.some((b) => !['wildcard-unconfirmed', 'wildcard-mismatch', 'same-host', 'ntlm-only-unconfirmed', 'jump-trusted-hosts', 'local-account-elsewhere'].includes(b.code));
  const alternative = {
    recommended: differentAccount || cannotUseCredSSP,
    reason: differentAccount
      ? 'The target needs a different account: passing it explicitly to the inner command works without any CredSSP change.'
      : cannotUseCredSSP
        ? 'CredSSP cannot be set up here, but passing your credentials explicitly to the inner command needs no setting at all.'
        : 'Passing credentials explicitly to the inner command needs no setting at all; CredSSP is the better fit for interactive work that reaches on from the jump server.',
    powershell: alternativeScript(jumpServer, input.target, input.account, differentAccount ? input.targetAccount : undefined),
  };

  return { jumpServer, target: input.target, spn, changes, blockers, risks, alternative };
}

/** Which of a profile's accounts are local accounts: of the jump server, and (the one the target uses) of the target. */
export function localAccounts(input: Pick<PlanInput, 'jumpServer' | 'target' | 'account' | 'targetAccount'>): { jump: boolean; target: boolean } {
  return { jump: isLocalAccountOf(input.account, input.jumpServer), target: isLocalAccountOf(input.targetAccount ?? input.account, input.target) };
}

/**
 * What a local account implies, explained before the plan: no Kerberos, so NTLM on that connection, with
 * TrustedHosts and (for CredSSP) the NTLM-only list, whose danger is that nobody verifies the server.
 */
export function localAccountNotes(input: PlanInput, local: { jump: boolean; target: boolean }): string[] {
  const notes: string[] = [];
  if (local.jump) {
    notes.push(`${input.account} is a local account of ${input.jumpServer}. Kerberos cannot sign in a local account, so Windows uses NTLM: this computer's WinRM TrustedHosts must list ${input.jumpServer} even by name, and CredSSP needs the NTLM-only delegation list ("Allow delegating fresh credentials with NTLM-only server authentication"). With NTLM nobody verifies that the machine answering is really ${input.jumpServer}: whatever answers under that name receives your password. CredHop adds exactly ${input.jumpServer} to both, only once you confirm, and removes both when it restores.`);
  }
  if (local.target) {
    const account = input.targetAccount ?? input.account;
    notes.push(`${account} is a local account of ${input.target}, so ${input.jumpServer} signs it in there with NTLM: ${input.jumpServer}'s own TrustedHosts must list ${input.target} (CredHop reads it and does not change it), and the hop passes ${account} and its password explicitly to that inner call, with CredSSP too: credentials delegated for another account would mean nothing on ${input.target}.`);
  }
  return notes;
}

/** What stops a hop with local accounts: the jump server's own TrustedHosts, or a local account used on another machine. */
export function localAccountBlockers(input: PlanInput, local: { jump: boolean; target: boolean }, server: Snapshot['server']): Blocker[] {
  const blockers: Blocker[] = [];
  const targetAccount = input.targetAccount ?? input.account;
  if (isLocalAccountOf(targetAccount, input.jumpServer) && !isLocalAccountOf(targetAccount, input.target)) {
    blockers.push({
      code: 'local-account-elsewhere',
      message: `${targetAccount} is a local account of ${input.jumpServer}; it means nothing on ${input.target}, which refuses it ("Access is denied.").`,
      resolution: `Add the target's own account to the profile as the separate account for the target (for example ${input.target.split('.')[0]?.toUpperCase()}\\Administrator), or use a domain account.`,
    });
  }
  const trusted = server.trustedHosts;
  if (local.target && typeof trusted === 'string' && !trustedHostsAllows(trusted, input.target)) {
    blockers.push({
      code: 'jump-trusted-hosts',
      message: `${targetAccount} is a local account of ${input.target}, so ${input.jumpServer} reaches it with NTLM, and ${input.target} is not in ${input.jumpServer}'s own TrustedHosts list (${trusted === '' ? 'it is empty' : `it holds ${trusted}`}). CredHop does not change the jump server's TrustedHosts: it is that server's setting for every administrator who uses it.`,
      resolution: `Ask an administrator of ${input.jumpServer} to add exactly ${input.target} (never *) there, then check again: Invoke-Command -ComputerName ${psLiteral(input.jumpServer)} -ScriptBlock { Set-Item -Path WSMan:\\localhost\\Client\\TrustedHosts -Value ${psLiteral(input.target)} -Concatenate -Force } (to take it out again, set the list back as it was). Or give ${input.target} an HTTPS listener, or use a domain account for the target.`,
    });
  }
  return blockers;
}
