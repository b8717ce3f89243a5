// Every IPC channel refuses a caller that is not the app's own window, before any validation or
// handler runs: through the transport-free router with main's real handlers, and through the
// Electron bootstrap's registered ipcMain handlers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, ipcChannelName, type Channel } from '../../src/shared/channels';
import type { Handlers } from '../../src/main/ipc/handler';
import { createRouter } from '../../src/main/ipc/router';
import { createSenderPolicy, type SenderInfo } from '../../src/main/ipc/sender';
import { createMainServices } from '../../src/main/services';
import { bootMain, type BootedMain } from '../support/electron-fake';

const APP = 'app://credhop/index.html';
const trusted: SenderInfo = { url: APP, isTopFrame: true, windowId: 1 };

const untrustedSenders: [string, SenderInfo][] = [
  ['an iframe of the app page', { ...trusted, isTopFrame: false }],
  ['a foreign https origin', { ...trusted, url: 'https://evil.example/index.html' }],
  ['a look-alike app host', { ...trusted, url: 'app://credhop.evil/index.html' }],
  ['the dev server origin', { ...trusted, url: 'http://localhost:5173/' }],
  ['a window the app did not open', { ...trusted, windowId: 7 }],
  ['an unknown window', { ...trusted, windowId: null }],
  ['a file:// page', { ...trusted, url: 'file:///opt/credhop/resources/app/out/renderer/index.html' }],
  ['about:blank', { ...trusted, url: 'about:blank' }],
  ['a data: URL', { ...trusted, url: 'data:text/html,<script>1</script>' }],
  ['an empty URL', { ...trusted, url: '' }],
];

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'credhop-security-ipc-'));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('IPC router with the real handlers', () => {
  function routerCountingRuns() {
    const services = createMainServices({ dataDir, root: process.cwd(), configuredPowerShell: '/nonexistent/pwsh', env: {} });
    const runs = new Map<Channel, number>();
    const counted = { ...services.handlers } as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const channel of CHANNELS) {
      const original = counted[channel]!;
      counted[channel] = (...args: unknown[]) => {
        runs.set(channel, (runs.get(channel) ?? 0) + 1);
        return original(...args);
      };
    }
    const policy = createSenderPolicy({ appUrl: APP, knownWindowIds: () => new Set([1]) });
    return { router: createRouter(counted as unknown as Handlers, { isTrustedSender: policy }), runs };
  }

  it('covers every channel of the contract', () => {
    expect(CHANNELS.length).toBeGreaterThan(0);
    const { router } = routerCountingRuns();
    expect([...router.channels]).toEqual([...CHANNELS]);
  });

  describe.each(untrustedSenders)('a call from %s', (_name, sender) => {
    it.each(CHANNELS.map((c) => [c]))('is refused on %s without running the handler', async (channel) => {
      const { router, runs } = routerCountingRuns();
      const progress: unknown[] = [];
      for (const request of [{}, { operationId: 'x' }, undefined]) {
        const result = await router.dispatch(channel, sender, request, (e) => progress.push(e));
        expect(result).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
      }
      expect(runs.size).toBe(0);
      expect(progress).toEqual([]);
    });
  });

  it.each(CHANNELS.map((c) => [c]))('lets the app window past the sender check on %s (the refusals above are about the sender)', async (channel) => {
    const { router, runs } = routerCountingRuns();
    // A request no schema accepts: past the sender check, stopped by validation, handler not run.
    const result = await router.dispatch(channel, trusted, 'not an object', () => undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(runs.size).toBe(0);
  });
});

describe('Electron bootstrap: the registered ipcMain handlers', () => {
  let main: BootedMain;
  beforeAll(async () => {
    main = await bootMain(dataDir);
  });

  it('registers exactly one handler per channel and opens one window', () => {
    expect([...main.ipcHandlers.keys()].sort()).toEqual(CHANNELS.map(ipcChannelName).sort());
    expect(main.windows).toHaveLength(1);
  });

  function events() {
    const app = main.windows[0]!.webContents;
    const stranger = { id: 99, isDestroyed: () => false, send: () => undefined };
    return [
      ['an iframe of the app page', { sender: app, senderFrame: { url: APP, parent: {} } }],
      ['a foreign origin in the app window', { sender: app, senderFrame: { url: 'https://evil.example/', parent: null } }],
      ['a window the app did not create', { sender: stranger, senderFrame: { url: APP, parent: null } }],
      ['a file:// page', { sender: app, senderFrame: { url: 'file:///C:/Users/x/index.html', parent: null } }],
      ['about:blank', { sender: app, senderFrame: { url: 'about:blank', parent: null } }],
      ['a data: URL', { sender: app, senderFrame: { url: 'data:text/html,hi', parent: null } }],
      ['a frame that is gone', { sender: app, senderFrame: null }],
    ] as const;
  }

  it.each(CHANNELS.map((c) => [c]))('refuses every untrusted sender on %s without running the handler', async (channel) => {
    const handler = main.ipcHandlers.get(ipcChannelName(channel))!;
    for (const [name, event] of events()) {
      const result = await handler(event, {});
      expect(result, name).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    }
    expect(main.handlerRuns.get(channel) ?? 0).toBe(0);
    expect(main.windows[0]!.webContents.send).not.toHaveBeenCalled();
  });

  it.each(CHANNELS.map((c) => [c]))('lets the app window itself past the sender check on %s', async (channel) => {
    const handler = main.ipcHandlers.get(ipcChannelName(channel))!;
    const result = await handler({ sender: main.windows[0]!.webContents, senderFrame: { url: APP, parent: null } }, 'not an object');
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(main.handlerRuns.get(channel) ?? 0).toBe(0);
  });
});
