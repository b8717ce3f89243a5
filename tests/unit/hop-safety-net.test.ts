// What each machine's scheduled restore is told to do: CredHop's own restore rules on the state it left,
// with what it left for the task's compare-and-set; and how a task's outcome record is read.
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/shared/domain/hop';
import type { BeginRecord } from '../../src/main/hop/journal';
import { clientTaskPlan, leftoverTasks, safetyNetArmed, outcomeDone, outcomeFor, outcomeNotes, serverTaskPlan, type RestoreTasksView } from '../../src/main/hop/safety-net';
import { host, list, server, snap } from '../support/states';

const SESSION = '0b0e7f4e-2f7c-4c1e-9a53-0d4f2e7c1b66';
const begin = (s = snap(host({ fresh: { '1': 'TERMSRV/*' } }))): BeginRecord => ({
  type: 'begin', session: SESSION, at: '2026-11-30T04:00:00.000Z', profileId: 'p', profileName: 'Article lab', account: 'COMPANY\\Administrator',
  jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', expiresAt: '2026-11-30T05:00:00.000Z', practice: true, snapshot: s,
});
const intents: Change[] = [
  { kind: 'add-delegation', host: 'client', list: 'fresh', spn: 'wsman/adfs1.company.pri' },
  { kind: 'client-credssp', host: 'client', enabled: true },
  { kind: 'server-credssp', host: 'server', enabled: true },
  { kind: 'restore-task', host: 'client' },
];

describe('the client task plan', () => {
  it('removes only the entry CredHop added, sets the switches and the flag back, and carries what CredHop left', () => {
    const after = host({ fresh: { '1': 'TERMSRV/*', '2': 'wsman/adfs1.company.pri' } });
    after.winrm.clientCredSSP = true;
    const plan = clientTaskPlan(begin(), intents, after);
    expect(plan).toMatchObject({ version: 1, session: SESSION, machine: 'client', expiresAt: '2026-11-30T05:00:00.000Z' });
    expect(plan.steps).toEqual([
      { kind: 'remove-delegation', list: 'fresh', entries: [{ name: '2', value: 'wsman/adfs1.company.pri' }], known: ['termsrv/*', 'wsman/adfs1.company.pri'] },
      { kind: 'client-credssp', enabled: false, expect: true },
    ]);
  });

  it('puts the switches back to the snapshot when CredHop created the list, expecting the 1s it wrote', () => {
    const after = host({ fresh: { '1': 'wsman/adfs1.company.pri' } });
    const plan = clientTaskPlan(begin(snap(host())), intents.slice(0, 1), after);
    expect(plan.steps[1]).toMatchObject({ kind: 'set-delegation-flags', allow: null, concatenate: null, removeEmptyListKey: true, expect: { allow: 1, concatenate: 1 } });
  });

  it('holds nothing for a machine CredHop did not change', () => {
    expect(clientTaskPlan(begin(), [], host()).steps).toEqual([]);
    expect(serverTaskPlan(begin(), intents.slice(0, 2), server({ serviceCredSSP: true }))).toBeNull();
  });
});

describe('the jump server task plan', () => {
  it('sets the service flag back, expecting the value CredHop left', () => {
    expect(serverTaskPlan(begin(), intents, server({ serviceCredSSP: true }))?.steps).toEqual([{ kind: 'server-credssp', enabled: false, expect: true }]);
  });
});

describe('outcome records', () => {
  const view = (json: string): RestoreTasksView => ({ computerName: 'dc1', tasks: [{ session: 'ffffffff-0000-4000-8000-000000000000', state: 'Ready', at: 'x' }], outcomes: [{ session: SESSION, json }] });
  const ok = { version: 1, session: SESSION, machine: 'client', ranAt: '2026-11-30T05:00:03Z', error: null, result: { computerName: 'dc1', restored: ['x'], unchanged: [], leftAlone: ['AllowFreshCredentials lists wsman/other'], notKnown: [], failed: [], complete: false } };

  it('reads a finished task: done when nothing failed or was unknown; what it left alone becomes a note', () => {
    const o = outcomeFor(view(JSON.stringify(ok)), SESSION)!;
    expect(outcomeDone(o)).toBe(true);
    expect(outcomeNotes(o)).toEqual(['dc1: AllowFreshCredentials lists wsman/other']);
  });

  it('is not done when the task met a kind it does not know, or failed', () => {
    expect(outcomeDone(outcomeFor(view(JSON.stringify({ ...ok, result: { ...ok.result, notKnown: ['trusted-hosts: ...'] } })), SESSION)!)).toBe(false);
    expect(outcomeDone(outcomeFor(view(JSON.stringify({ ...ok, result: null, error: 'boom' })), SESSION)!)).toBe(false);
  });

  it('ignores an unreadable record or one for another session (CredHop then restores by itself)', () => {
    expect(outcomeFor(view('{not json'), SESSION)).toBeNull();
    expect(outcomeFor(view(JSON.stringify({ ...ok, session: 'other' })), SESSION)).toBeNull();
  });

  it('names the tasks no open session owns', () => {
    expect(leftoverTasks(view(JSON.stringify(ok)), [SESSION])).toEqual(['ffffffff-0000-4000-8000-000000000000']);
  });
});

describe('whether the close guard may say the scheduled restore is armed', () => {
  const intent = (changeId: string, change: Change) => ({ type: 'intent' as const, session: SESSION, changeId, at: '2026-11-30T04:00:00.000Z', change });
  const session = (list: [string, Change, boolean | undefined][]) => ({
    intents: list.map(([id, c]) => intent(id, c)),
    outcomes: new Map(list.filter(([, , ok]) => ok !== undefined).map(([id, , ok]) => [id, ok as boolean])),
  });
  const clientChange: Change = { kind: 'client-credssp', host: 'client', enabled: true };
  const serverChange: Change = { kind: 'server-credssp', host: 'server', enabled: true };

  it('is armed when every machine a session changed has its task registered', () => {
    expect(safetyNetArmed([session([['a', clientChange, true], ['t1', { kind: 'restore-task', host: 'client' }, true], ['b', serverChange, true], ['t2', { kind: 'restore-task', host: 'server' }, true]])])).toBe(true);
  });

  it('is not armed when the jump server changed but its task is missing or failed to register', () => {
    expect(safetyNetArmed([session([['a', clientChange, true], ['t1', { kind: 'restore-task', host: 'client' }, true], ['b', serverChange, true]])])).toBe(false);
    expect(safetyNetArmed([session([['b', serverChange, true], ['t2', { kind: 'restore-task', host: 'server' }, false]])])).toBe(false);
    // registered but the outcome never written (a crash between): not promised
    expect(safetyNetArmed([session([['b', serverChange, true], ['t2', { kind: 'restore-task', host: 'server' }, undefined]])])).toBe(false);
  });

  it('holds for every open session, not just one', () => {
    const good = session([['a', clientChange, true], ['t1', { kind: 'restore-task', host: 'client' }, true]]);
    const bad = session([['a', clientChange, true]]);
    expect(safetyNetArmed([good, bad])).toBe(false);
    expect(safetyNetArmed([good])).toBe(true);
  });
});
