// Reconciliation at start: sessions the scheduled restores already put back while CredHop was not
// running are closed, journaled and audited as restored by the safety net.
import type { ServerState } from '../../shared/domain/hop';
import type { Credential, HopContext } from './engine-context';
import type { BeginRecord } from './journal';
import { diffStates } from './restore';
import type { RestoreReport } from './restore-run';
import { outcomeDone, outcomeFor, outcomeNotes, restoreTasksView, type TaskOutcome } from './safety-net';
import { disarmSafetyNet } from './safety-net-arm';

/**
 * At start: closes the open sessions whose machines the scheduled tasks already put back (their
 * outcome records say so), as "restored by the scheduled safety net at <time>", journaled and audited,
 * and removes the records. A session whose tasks have not run (or failed) stays open for CredHop's own
 * restore. Returns the report, or null when no session had a task.
 */
export async function reconcileSessions(ctx: HopContext, credentialFor: (begin: BeginRecord) => Credential | null): Promise<RestoreReport | null> {
  return ctx.deps.journal.withLock(async () => {
    const open = ctx.restorableSessions().filter((s) => s.intents.some((i) => i.change.kind === 'restore-task'));
    if (open.length === 0) return null;
    const report: RestoreReport = { sessions: [], clean: true };
    const local = await ctx.call('ReadRestoreTasks', {}, restoreTasksView);
    for (const s of open) {
      const { begin } = s;
      const intents = s.intents.map((i) => i.change);
      const hosts = new Set(intents.filter((c) => c.kind === 'restore-task').map((c) => c.host));
      const credential = credentialFor(begin);
      const outcomes: TaskOutcome[] = [];
      if (hosts.has('client')) {
        const o = outcomeFor(local, begin.session);
        if (!o) continue;
        outcomes.push(o);
      }
      let server: ServerState | null = begin.snapshot.server;
      if (hosts.has('server')) {
        const r = await ctx.remote(begin.jumpServer, 'ReadRestoreTasks', {}, credential).catch(() => null);
        const view = r && r.errors.length === 0 ? restoreTasksView.safeParse(r.output[0]) : null;
        const o = view?.success ? outcomeFor(view.data, begin.session) : null;
        if (!o) continue;
        outcomes.push(o);
        server = (await ctx.readServer(begin.jumpServer, credential)).state;
      }
      if (!outcomes.every(outcomeDone)) continue;
      const restoredAt = outcomes.map((o) => o.ranAt).sort().at(-1)!;
      const client = await ctx.readClient();
      const differences = diffStates(begin.snapshot, client, server, intents);
      const notes = outcomes.flatMap(outcomeNotes);
      const reason = `restored by the scheduled safety net at ${restoredAt}`;
      // Complete: the tasks put back all of CredHop's part; what differs now is someone else's, reported.
      ctx.deps.journal.append({ type: 'restored', session: begin.session, at: ctx.now().toISOString(), complete: true, reason, differences });
      const machines = outcomes.map((o) => o.result?.computerName ?? o.machine);
      ctx.deps.audit.write({ at: ctx.now().toISOString(), who: begin.snapshot.client.userName, profile: begin.profileName, host: machines.join(', '), action: 'restored by the scheduled safety net', from: 'changed', to: 'snapshot', outcome: 'ok', session: begin.session, detail: `at ${restoredAt}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}` });
      const operations = outcomes.flatMap((o) => (o.result?.restored ?? []).map((t) => `${o.result?.computerName ?? o.machine}: ${t}`));
      // The records are read; remove them (and any task file left) so a later check finds nothing.
      await disarmSafetyNet(ctx, begin, intents, credential, []).catch(() => []);
      report.sessions.push({ session: begin.session, profileName: begin.profileName, complete: true, differences, operations, safetyNet: { restoredAt, notes } });
      if (differences.length > 0) report.clean = false;
    }
    if (report.sessions.length > 0) ctx.compactJournal();
    return report.sessions.length > 0 ? report : null;
  });
}
