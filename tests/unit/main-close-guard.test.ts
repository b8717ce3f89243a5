// The close guard as the Electron bootstrap wires it (mocked `electron`): closing the window or
// quitting with changes open is stopped and the question goes to the window on QUIT_REQUEST_EVENT;
// the window's answer on appQuitAnswer quits, quits after restoring, or stays.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ipcChannelName, QUIT_REQUEST_EVENT } from '../../src/shared/channels';
import type { OpenSession } from '../../src/main/hop/journal';
import { bootMain, type BootedMain } from '../support/electron-fake';
import { snap } from '../support/states';

const APP = 'app://credhop/index.html';

function openSession(): OpenSession {
  return {
    begin: { type: 'begin', session: 's1', at: '2026-11-30T04:00:00Z', profileId: 'p', profileName: 'Practice: adfs1 to mem2', account: 'COMPANY\\Administrator', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', expiresAt: '2026-11-30T05:00:00Z', practice: true, snapshot: snap() },
    intents: [
      { type: 'intent', session: 's1', changeId: 'c1', at: 'x', change: { kind: 'client-credssp', host: 'client', enabled: true } },
      { type: 'intent', session: 's1', changeId: 'c2', at: 'x', change: { kind: 'server-credssp', host: 'server', enabled: true } },
    ],
    outcomes: new Map(),
  };
}

function closeWindow(main: BootedMain): { prevented: boolean } {
  const event = { preventDefault: vi.fn() };
  for (const fn of main.windows[0]!.listeners.get('close') ?? []) fn(event);
  return { prevented: event.preventDefault.mock.calls.length > 0 };
}

function beforeQuit(main: BootedMain): { prevented: boolean } {
  const event = { preventDefault: vi.fn() };
  for (const fn of main.appListeners.get('before-quit') ?? []) fn(event);
  return { prevented: event.preventDefault.mock.calls.length > 0 };
}

function answer(main: BootedMain, choice: 'restore' | 'keep' | 'cancel') {
  const handler = main.ipcHandlers.get(ipcChannelName('appQuitAnswer'))!;
  return handler({ sender: main.windows[0]!.webContents, senderFrame: { url: APP, parent: null } }, { choice, operationId: 'quit-1' });
}

const quitRequests = (main: BootedMain) => main.windows[0]!.webContents.send.mock.calls.filter(([name]) => name === QUIT_REQUEST_EVENT);
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('closing CredHop (bootstrap with a mocked electron)', () => {
  it('closes without asking when no change is open', async () => {
    const main = await bootMain(mkdtempSync(join(tmpdir(), 'credhop-guard-')), { openSessions: () => [] });
    expect(closeWindow(main).prevented).toBe(false);
    expect(beforeQuit(main).prevented).toBe(false);
    expect(quitRequests(main)).toEqual([]);
  });

  it('with changes open: stops the close, asks the window once, a second close or quit shows the same question', async () => {
    const main = await bootMain(mkdtempSync(join(tmpdir(), 'credhop-guard-')), { openSessions: () => [openSession()] });
    expect(closeWindow(main).prevented).toBe(true);
    const [first] = quitRequests(main);
    expect(first![1]).toEqual({
      sessions: [{ session: 's1', profileName: 'Practice: adfs1 to mem2', jumpServer: 'adfs1.company.pri', machines: ['this computer', 'adfs1.company.pri'], expiresAt: '2026-11-30T05:00:00Z', practice: true }],
      keepUntil: '2026-11-30T05:00:00Z',
      scheduledRestore: false,
    });
    expect(main.windows[0]!.focus).toHaveBeenCalled();
    expect(beforeQuit(main).prevented).toBe(true);
    expect(closeWindow(main).prevented).toBe(true);
    // One question: the repeats carry the very same request, which the window shows in its one dialog.
    expect(new Set(quitRequests(main).map(([, r]) => JSON.stringify(r))).size).toBe(1);
    expect(main.app.quit).not.toHaveBeenCalled();
  });

  it('Cancel stays; Keep quits and lets the quit through', async () => {
    const main = await bootMain(mkdtempSync(join(tmpdir(), 'credhop-guard-')), { openSessions: () => [openSession()] });
    closeWindow(main);
    expect(await answer(main, 'cancel')).toEqual({ ok: true, data: { quitting: false, report: null } });
    await tick();
    expect(main.app.quit).not.toHaveBeenCalled();

    expect(closeWindow(main).prevented).toBe(true);
    expect(await answer(main, 'keep')).toEqual({ ok: true, data: { quitting: true, report: null } });
    await tick();
    expect(main.app.quit).toHaveBeenCalledTimes(1);
    // Electron then emits before-quit and closes the window: both go through now.
    expect(beforeQuit(main).prevented).toBe(false);
    expect(closeWindow(main).prevented).toBe(false);
  });

  it('Restore now restores, then quits; a restore that leaves differences keeps CredHop open', async () => {
    let sessions = [openSession()];
    const reports = [
      { sessions: [{ session: 's1', profileName: 'Practice: adfs1 to mem2', complete: false, differences: ['adfs1.company.pri: WinRM service CredSSP is on'], operations: [] }], clean: false },
      { sessions: [{ session: 's1', profileName: 'Practice: adfs1 to mem2', complete: true, differences: [], operations: ['WinRM client CredSSP set back to false'] }], clean: true },
    ];
    const restore = vi.fn(async () => {
      const report = reports.shift()!;
      if (report.clean) sessions = [];
      return report;
    });
    const main = await bootMain(mkdtempSync(join(tmpdir(), 'credhop-guard-')), { openSessions: () => sessions, restore });
    closeWindow(main);
    expect(await answer(main, 'restore')).toMatchObject({ ok: true, data: { quitting: false, report: { clean: false } } });
    await tick();
    expect(main.app.quit).not.toHaveBeenCalled();
    expect(closeWindow(main).prevented).toBe(true);

    expect(await answer(main, 'restore')).toMatchObject({ ok: true, data: { quitting: true, report: { clean: true } } });
    await tick();
    expect(restore).toHaveBeenCalledTimes(2);
    expect(main.app.quit).toHaveBeenCalledTimes(1);
    expect(beforeQuit(main).prevented).toBe(false);
  });

  it('lets Windows end the session (shutdown, sign-out) without asking', async () => {
    const main = await bootMain(mkdtempSync(join(tmpdir(), 'credhop-guard-')), { openSessions: () => [openSession()] });
    for (const fn of main.windows[0]!.listeners.get('session-end') ?? []) fn({});
    expect(closeWindow(main).prevented).toBe(false);
    expect(beforeQuit(main).prevented).toBe(false);
    expect(quitRequests(main)).toEqual([]);
  });

  it('refuses an answer from anything but the app window, without acting on it', async () => {
    const main = await bootMain(mkdtempSync(join(tmpdir(), 'credhop-guard-')), { openSessions: () => [openSession()] });
    closeWindow(main);
    const handler = main.ipcHandlers.get(ipcChannelName('appQuitAnswer'))!;
    const result = await handler({ sender: main.windows[0]!.webContents, senderFrame: { url: 'https://evil.example/', parent: null } }, { choice: 'keep' });
    expect(result).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    await tick();
    expect(main.app.quit).not.toHaveBeenCalled();
  });
});
