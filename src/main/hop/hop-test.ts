// The hop test: runs the probe on the target through the jump server, and explains a failure.
import type { Diagnosis, ErrorRecordData } from '../../shared/domain/hop';
import { isLocalAccountOf } from '../../shared/domain/profile-rules';
import { AppError } from '../errors';
import { diagnose } from './diagnose';
import type { Credential, HopContext, HopTarget, Progress, RunControl } from './engine-context';
import { controlledElsewhere } from './match';

export const DEFAULT_PROBE = '[pscustomobject]@{ ComputerName = $env:COMPUTERNAME; RanAs = (whoami) }';

export interface TestOptions extends RunControl {
  /** Another account for the target (explicit mode). */
  targetCredential?: Credential | null | undefined;
  /** The jump server's service flag as last read: tells E4 from E7 (both are code 5). */
  serverCredSSP?: boolean | null | undefined;
}


export interface TestResult {
  ok: boolean;
  mode: 'credssp' | 'explicit' | 'kerberos';
  output: unknown[];
  errors: ErrorRecordData[];
  diagnosis?: Diagnosis | undefined;
}

export async function testHop(ctx: HopContext, t: HopTarget, credential: Credential | null, mode: 'credssp' | 'explicit' | 'kerberos', targetCredential: Credential | null, progress: Progress, serverCredSSP: boolean | null | undefined): Promise<TestResult> {
  const command = t.probe && t.probe.trim() !== '' ? t.probe : DEFAULT_PROBE;
  if (mode === 'credssp' && !credential) {
    throw new AppError('refused', 'CredSSP needs the account\'s password.', 'Enter the password for the jump server account and test again.');
  }
  progress(mode === 'credssp' ? `Opening a CredSSP session to ${t.jumpServer}` : `Connecting to ${t.jumpServer}`, 0.2);
  // A local account of the target goes to the inner call explicitly with CredSSP too: the delegated
  // credentials are another account's, which means nothing on the target (plan.ts, localAccountNotes).
  const explicitInner = mode === 'explicit' || (mode === 'credssp' && targetCredential !== null && isLocalAccountOf(t.targetAccount, t.target));
  const result = explicitInner
    ? await ctx.remote(t.jumpServer, 'ProbeExplicit', { target: t.target, command }, credential, mode === 'credssp' ? 'CredSSP' : 'Default', targetCredential ?? credential ?? undefined)
    : await ctx.remote(t.jumpServer, 'Probe', { target: t.target, command }, credential, mode === 'credssp' ? 'CredSSP' : 'Default');
  progress('Probe finished', 1);
  // A hop verified (CredSSP or explicit; Kerberos alone proves nothing about CredHop's change) is what
  // the home says of the profile, in the app and after the command line alike.
  const verified = result.errors.length === 0 && mode !== 'kerberos';
  await ctx.deps.usage?.record(t.profileId, verified);
  if (result.errors.length === 0) return { ok: true, mode, output: result.output, errors: [] };
  const first = result.errors[0]!;
  const client = await ctx.readClient().catch(() => null);
  const diagnosis = diagnose(first, {
    jumpServer: t.jumpServer,
    target: t.target,
    stage: first.origin === 'remote' ? 'target' : 'jump',
    outerAuthentication: mode === 'credssp' ? 'CredSSP' : 'Default',
    clientElevated: client?.isElevated,
    serverCredSSP,
    // Managed by a domain GPO, or nobody can tell; a script-written registry list is not a GPO's.
    delegationPolicyManaged: client
      ? controlledElsewhere(client.delegation.fresh.effective, client.delegation.fresh.local) && (client.policyOwners?.fresh != null || client.policyOwners?.rsopAvailable !== true)
      : undefined,
  });
  return { ok: false, mode, output: result.output, errors: result.errors, diagnosis };
}
