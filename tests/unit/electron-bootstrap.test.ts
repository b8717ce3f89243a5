// The Electron bootstrap, run against a mocked `electron` (the binary cannot run here): the settings,
// the registrations and the denials a user relies on for safety.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS, ipcChannelName } from '../../src/shared/channels';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp';

type Listener = (...args: unknown[]) => unknown;

function makeElectron(opts: { gotLock: boolean }) {
  const appListeners = new Map<string, Listener>();
  const ipcHandlers = new Map<string, Listener>();
  const windows: { options: Record<string, unknown>; webContents: { id: number }; loadURL: ReturnType<typeof vi.fn> }[] = [];
  let permissionRequest: Listener | null = null;
  let permissionCheck: Listener | null = null;
  let headers: Listener | null = null;
  const electron = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: vi.fn(() => opts.gotLock),
      quit: vi.fn(),
      on: vi.fn((name: string, fn: Listener) => appListeners.set(name, fn)),
      whenReady: vi.fn(() => Promise.resolve()),
      getPath: vi.fn(() => '/tmp/credhop-bootstrap-test'),
      getAppPath: vi.fn(() => process.cwd()),
    },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn((fn: Listener) => (permissionRequest = fn)),
        setPermissionCheckHandler: vi.fn((fn: Listener) => (permissionCheck = fn)),
        webRequest: { onHeadersReceived: vi.fn((fn: Listener) => (headers = fn)) },
      },
    },
    ipcMain: { handle: vi.fn((name: string, fn: Listener) => ipcHandlers.set(name, fn)) },
    net: { fetch: vi.fn() },
    BrowserWindow: Object.assign(
      vi.fn(function (this: unknown, options: Record<string, unknown>) {
        const win = { options, webContents: { id: 41 + windows.length }, loadURL: vi.fn(async () => undefined), on: vi.fn(), once: vi.fn() };
        windows.push(win);
        return win;
      }),
      { fromWebContents: vi.fn((wc: { id: number }) => ({ webContents: wc })), getAllWindows: vi.fn(() => windows) },
    ),
  };
  return { electron, appListeners, ipcHandlers, windows, get permissionRequest() { return permissionRequest; }, get permissionCheck() { return permissionCheck; }, get headers() { return headers; } };
}

async function boot(gotLock = true) {
  const fake = makeElectron({ gotLock });
  vi.resetModules();
  vi.doMock('electron', () => fake.electron);
  await import('../../src/main/index');
  await new Promise((r) => setTimeout(r, 0));
  return fake;
}

describe('Electron bootstrap', () => {
  beforeEach(() => {
    vi.restoreAllMocks();
  });

  it('opens the window with context isolation, the sandbox and no Node integration', async () => {
    const fake = await boot();
    expect(fake.windows).toHaveLength(1);
    const prefs = fake.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.js$/);
    expect(fake.windows[0]!.loadURL).toHaveBeenCalledWith('app://credhop/index.html');
  });

  it('serves the renderer from a privileged app:// scheme, not file://', async () => {
    const fake = await boot();
    expect(fake.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }),
    ]);
    expect(fake.electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });

  it('registers one IPC handler per contract channel, and nothing else', async () => {
    const fake = await boot();
    expect([...fake.ipcHandlers.keys()].sort()).toEqual(CHANNELS.map(ipcChannelName).sort());
  });

  it('refuses IPC from a frame that is not the app window', async () => {
    const fake = await boot();
    const handler = fake.ipcHandlers.get(ipcChannelName('envCheck'))!;
    const sender = { id: 41, isDestroyed: () => false, send: vi.fn() };
    const fromIframe = await handler({ sender, senderFrame: { url: 'app://credhop/index.html', parent: {} } }, {});
    expect(fromIframe).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    const fromElsewhere = await handler({ sender, senderFrame: { url: 'https://evil.example/', parent: null } }, {});
    expect(fromElsewhere).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    const fromOtherWindow = await handler({ sender: { ...sender, id: 99 }, senderFrame: { url: 'app://credhop/index.html', parent: null } }, { x: 1 });
    expect(fromOtherWindow).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    const fromApp = await handler({ sender, senderFrame: { url: 'app://credhop/index.html', parent: null } }, { x: 1 });
    expect(fromApp).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });

  it('denies every permission request and check', async () => {
    const fake = await boot();
    const callback = vi.fn();
    fake.permissionRequest!({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(fake.permissionCheck!({}, 'notifications')).toBe(false);
  });

  it('adds the strict CSP to every response', async () => {
    const fake = await boot();
    const callback = vi.fn();
    fake.headers!({ responseHeaders: { 'X-A': ['b'] } }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'X-A': ['b'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|unsafe-inline|https?:|\*/);
  });

  it('denies navigation away from the app, new windows and webviews', async () => {
    const fake = await boot();
    const listeners = new Map<string, Listener>();
    let openHandler: Listener | null = null;
    const contents = { on: vi.fn((n: string, f: Listener) => listeners.set(n, f)), setWindowOpenHandler: vi.fn((f: Listener) => (openHandler = f)) };
    fake.appListeners.get('web-contents-created')!({}, contents);
    const away = { preventDefault: vi.fn() };
    listeners.get('will-navigate')!(away, 'https://evil.example/');
    expect(away.preventDefault).toHaveBeenCalled();
    const inside = { preventDefault: vi.fn() };
    listeners.get('will-navigate')!(inside, 'app://credhop/index.html');
    expect(inside.preventDefault).not.toHaveBeenCalled();
    const redirect = { preventDefault: vi.fn() };
    listeners.get('will-redirect')!(redirect, 'file:///C:/Windows/System32/');
    expect(redirect.preventDefault).toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    expect(openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
  });

  it('takes the single-instance lock, and a second instance quits without opening anything', async () => {
    const first = await boot(true);
    expect(first.electron.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(first.appListeners.has('second-instance')).toBe(true);
    const second = await boot(false);
    expect(second.electron.app.quit).toHaveBeenCalled();
    expect(second.windows).toHaveLength(0);
    expect(second.ipcHandlers.size).toBe(0);
  });
});
