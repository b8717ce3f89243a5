// The check: reads this computer and the jump server (one call each), then plans. Changes nothing.
import { z } from 'zod';
import type { Diagnosis, HostState, Plan, Snapshot } from '../../shared/domain/hop';
import { hostState } from '../../shared/domain/hop';
import { isIPv4, isLocalAccountOf } from '../../shared/domain/profile-rules';
import { diagnose, trustedHostsDiagnosis } from './diagnose';
import type { Credential, HopContext, HopTarget, Progress } from './engine-context';
import { buildPlan, trustedHostsNeed, type PlanInput } from './plan';
import { leftoverTasks, restoreTasksView } from './safety-net';

export interface CheckResult {
  snapshot: Snapshot | null;
  plan: Plan | null;
  credSSPView: string[];
  /** Why the check could not complete (e.g. the jump server did not answer). */
  diagnosis?: Diagnosis | undefined;
  /** This computer as read, also when the jump server could not be (the TrustedHosts fix starts from it). */
  client?: HostState | undefined;
  /** Sessions of CredHop scheduled restores found on each machine that no open session owns (Clean up removes them). */
  leftoverTasks?: { client: string[]; server: string[] } | undefined;
}


/** The GetCheckState primitive's answer: the view and the tasks are extras that may be unreadable (null). */
const checkState = z.object({ state: hostState, credSSPView: z.array(z.string()).nullable(), restoreTasks: z.unknown() });

export async function checkHop(ctx: HopContext, t: HopTarget, credential: Credential | null, options: Pick<PlanInput, 'wildcard' | 'ntlmOnlyConfirmed'>, progress: Progress): Promise<CheckResult> {
  progress('Reading this computer\'s CredSSP settings', 0.1);
  await ctx.deps.usage?.record(t.profileId, false);
  // One call: the state, the Get-WSManCredSSP view and the scheduled restores here.
  const local = await ctx.call('GetCheckState', {}, checkState);
  const client = local.state;
  const view = { lines: local.credSSPView ?? [] };
  const localTasks = restoreTasksView.safeParse(local.restoreTasks);
  const trustedHostsPolicyOwned = client.trustedHosts?.policyOwned === true;
  // The chicken-and-egg of a jump server given by address: CredHop's own management connection needs
  // the address in TrustedHosts before the check can read the server. Seen here from the client's
  // state, no connection is tried (it could only fail); the diagnosis offers the one entry as a
  // journaled, restorable, warned fix (trustJumpServer), after which the check runs again and reads
  // the server. The alternative — planning everything blind and reading the server mid-apply — would
  // show a plan that is not based on the server's real state.
  // (A local account of the jump server is NTLM too: the same entry, by name.)
  if ((isIPv4(t.jumpServer) || isLocalAccountOf(t.account, t.jumpServer)) && trustedHostsNeed(client, t.jumpServer) !== 'none') {
    return { snapshot: null, plan: null, credSSPView: view.lines, client, diagnosis: trustedHostsDiagnosis({ jumpServer: t.jumpServer, target: t.target, stage: 'jump', trustedHostsPolicyOwned, localAccount: isLocalAccountOf(t.account, t.jumpServer) ? t.account : undefined }) };
  }
  progress(`Reading the CredSSP setting of ${t.jumpServer}`, 0.5);
  // One call to the jump server: its state and the scheduled restores there.
  const server = await ctx.readServer(t.jumpServer, credential, 'ReadServerCheck');
  const serverTasks = server.errors.length === 0 ? restoreTasksView.safeParse(server.output[1]) : null;
  if (!server.state) {
    const record = server.errors[0] ?? { message: `${t.jumpServer} returned no state.` };
    return {
      snapshot: null,
      plan: null,
      credSSPView: view.lines,
      client,
      diagnosis: diagnose(record, { jumpServer: t.jumpServer, target: t.target, stage: 'jump', clientElevated: client.isElevated, trustedHostsPolicyOwned }),
    };
  }
  const snapshot: Snapshot = { takenAt: ctx.now().toISOString(), jumpServer: t.jumpServer, client, server: server.state };
  const plan = buildPlan({ snapshot, jumpServer: t.jumpServer, target: t.target, account: t.account, targetAccount: t.targetAccount, wildcard: options.wildcard, ntlmOnlyConfirmed: options.ntlmOnlyConfirmed });
  const open = ctx.openSessions().map((s) => s.begin.session);
  const leftover = { client: localTasks.success ? leftoverTasks(localTasks.data, open) : [], server: serverTasks?.success ? leftoverTasks(serverTasks.data, open) : [] };
  for (const [h, ids] of [[client.computerName, leftover.client], [t.jumpServer, leftover.server]] as const) {
    for (const id of ids) plan.risks.push(`A scheduled restore CredHop left on ${h} from an earlier session (${id}) is still there. Clean up removes it.`);
  }
  progress('Check complete', 1);
  return { snapshot, plan, credSSPView: view.lines, leftoverTasks: leftover };
}
