// The close guard's decisions: when CredHop asks before closing, what the question shows, and what
// each answer does (restore then quit, quit keeping, stay), with one question however often the
// operator closes.
import { describe, expect, it, vi } from 'vitest';
import type { RestoreReportData } from '../../src/shared/contract/hop';
import { quitRequest } from '../../src/shared/contract/app';
import type { Change } from '../../src/shared/domain/hop';
import { AppError } from '../../src/main/errors';
import type { HandlerContext } from '../../src/main/ipc/handler';
import type { OpenSession } from '../../src/main/hop/journal';
import { CloseGuard, quitRequestFor } from '../../src/main/window/close-guard';
import { snap } from '../support/states';

function session(id: string, expiresAt: string, changes: Change[], extra: { profileName?: string; practice?: boolean } = {}): OpenSession {
  return {
    begin: { type: 'begin', session: id, at: '2026-11-30T04:00:00Z', profileId: 'p', profileName: extra.profileName ?? 'Lab', account: 'COMPANY\\Administrator', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', expiresAt, practice: extra.practice ?? true, snapshot: snap() },
    intents: changes.map((change, i) => ({ type: 'intent', session: id, changeId: `c${i}`, at: 'x', change })),
    outcomes: new Map(),
  };
}

const CLIENT: Change = { kind: 'client-credssp', host: 'client', enabled: true };
const SERVER: Change = { kind: 'server-credssp', host: 'server', enabled: true };
const ctx: HandlerContext = { operationId: 'op-1', progress: () => undefined };
const CLEAN: RestoreReportData = { sessions: [{ session: 's1', profileName: 'Lab', complete: true, differences: [], operations: ['x'] }], clean: true };

function harness(open: OpenSession[], restore?: (ctx: HandlerContext) => Promise<RestoreReportData>) {
  const state = { open };
  const asked: unknown[] = [];
  const quit = vi.fn();
  const deferred: (() => void)[] = [];
  const guard = new CloseGuard({
    openSessions: () => state.open,
    scheduledRestore: () => false,
    restore: restore ?? (async () => {
      state.open = [];
      return CLEAN;
    }),
    defer: (fn) => deferred.push(fn),
  });
  guard.connect({ ask: (r) => (asked.push(r), true), quit });
  const flush = () => deferred.splice(0).forEach((fn) => fn());
  return { guard, asked, quit, flush, state };
}

describe('what the close question shows', () => {
  it('asks nothing when no change is open', () => {
    expect(quitRequestFor([], true)).toBeNull();
  });

  it('names each profile, the machines it changed and its expiry; Keep names the last expiry', () => {
    const request = quitRequestFor(
      [session('s1', '2026-11-30T05:00:00Z', [CLIENT]), session('s2', '2026-11-30T06:30:00Z', [CLIENT, SERVER], { profileName: 'Second', practice: false })],
      true,
    )!;
    expect(quitRequest.parse(request)).toEqual(request); // what crosses the bridge fits the contract
    expect(request.sessions).toEqual([
      { session: 's1', profileName: 'Lab', jumpServer: 'adfs1.company.pri', machines: ['this computer'], expiresAt: '2026-11-30T05:00:00Z', practice: true },
      { session: 's2', profileName: 'Second', jumpServer: 'adfs1.company.pri', machines: ['this computer', 'adfs1.company.pri'], expiresAt: '2026-11-30T06:30:00Z', practice: false },
    ]);
    expect(request.keepUntil).toBe('2026-11-30T06:30:00Z');
    expect(request.scheduledRestore).toBe(true);
  });
});

describe('the close guard', () => {
  it('lets CredHop close without a word when nothing is open', () => {
    const h = harness([]);
    expect(h.guard.attempt()).toBe('allow');
    expect(h.asked).toEqual([]);
  });

  it('stops the close and asks the window once; a second close asks nothing new and stacks no question', () => {
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT])]);
    expect(h.guard.attempt()).toBe('prevent');
    expect(h.guard.attempt()).toBe('prevent');
    expect(h.guard.asking).toBe(true);
    // The repeat brings the same question forward (the window shows one dialog per question).
    expect(h.asked).toHaveLength(2);
    expect(h.asked[1]).toBe(h.asked[0]);
    expect(h.quit).not.toHaveBeenCalled();
  });

  it('Cancel: stays, changes nothing, and the next close asks again', async () => {
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT])]);
    h.guard.attempt();
    await expect(h.guard.answer('cancel', ctx)).resolves.toEqual({ quitting: false, report: null });
    h.flush();
    expect(h.quit).not.toHaveBeenCalled();
    expect(h.state.open).toHaveLength(1);
    expect(h.guard.asking).toBe(false);
    expect(h.guard.attempt()).toBe('prevent');
  });

  it('Keep: quits with the changes still open, and lets the resulting close and quit through', async () => {
    const restore = vi.fn(async () => CLEAN);
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT])], restore);
    h.guard.attempt();
    await expect(h.guard.answer('keep', ctx)).resolves.toEqual({ quitting: true, report: null });
    expect(h.quit).not.toHaveBeenCalled(); // only after the answer has gone back to the window
    h.flush();
    expect(h.quit).toHaveBeenCalledTimes(1);
    expect(restore).not.toHaveBeenCalled();
    expect(h.guard.attempt()).toBe('allow');
  });

  it('Restore now: restores with the answer\'s progress, then quits', async () => {
    const seen: HandlerContext[] = [];
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT])], async (c) => {
      seen.push(c);
      h.state.open = [];
      return CLEAN;
    });
    h.guard.attempt();
    await expect(h.guard.answer('restore', ctx)).resolves.toEqual({ quitting: true, report: CLEAN });
    expect(seen).toEqual([ctx]);
    h.flush();
    expect(h.quit).toHaveBeenCalledTimes(1);
  });

  it('Restore now that leaves a difference: stays open, with the report, still asking', async () => {
    const partial: RestoreReportData = { sessions: [{ session: 's1', profileName: 'Lab', complete: false, differences: ['adfs1: WinRM service CredSSP is on'], operations: [] }], clean: false };
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT, SERVER])], async () => partial);
    h.guard.attempt();
    await expect(h.guard.answer('restore', ctx)).resolves.toEqual({ quitting: false, report: partial });
    h.flush();
    expect(h.quit).not.toHaveBeenCalled();
    expect(h.guard.asking).toBe(true);
    expect(h.guard.attempt()).toBe('prevent');
  });

  it('Restore now that fails: the error goes back to the window and CredHop does not quit', async () => {
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT])], async () => {
      throw new AppError('powershell-failed', 'PowerShell stopped.', 'Try again.');
    });
    h.guard.attempt();
    await expect(h.guard.answer('restore', ctx)).rejects.toMatchObject({ code: 'powershell-failed' });
    h.flush();
    expect(h.quit).not.toHaveBeenCalled();
    // The dialog is still open: Keep still works from it.
    await expect(h.guard.answer('keep', ctx)).resolves.toMatchObject({ quitting: true });
  });

  it('refuses Keep or Restore when no question is open, and a second Restore while one runs', async () => {
    let finish: (r: RestoreReportData) => void = () => undefined;
    const h = harness([session('s1', '2026-11-30T05:00:00Z', [CLIENT])], () => new Promise((r) => (finish = r)));
    await expect(h.guard.answer('keep', ctx)).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.guard.answer('restore', ctx)).rejects.toMatchObject({ code: 'conflict' });
    h.guard.attempt();
    const first = h.guard.answer('restore', ctx);
    await expect(h.guard.answer('restore', ctx)).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.guard.answer('cancel', ctx)).rejects.toMatchObject({ code: 'conflict' });
    h.state.open = [];
    finish(CLEAN);
    await expect(first).resolves.toMatchObject({ quitting: true });
  });

  it('lets CredHop close when there is no window left to ask', () => {
    const guard = new CloseGuard({ openSessions: () => [session('s1', '2026-11-30T05:00:00Z', [CLIENT])], scheduledRestore: () => false, restore: async () => CLEAN });
    expect(guard.attempt()).toBe('allow'); // not connected
    guard.connect({ ask: () => false, quit: () => undefined });
    expect(guard.attempt()).toBe('allow');
  });
});
