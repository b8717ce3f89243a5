// The Electron bootstrap, and the only main-process file that imports `electron`: window, security
// settings, IPC registration, app lifecycle. Everything else is plain Node (see services.ts).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, net, protocol, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CHANNELS, ipcChannelName, PROGRESS_EVENT, QUIT_REQUEST_EVENT } from '../shared/channels';
import { cliArgsOf } from './cli-mode';
import { createRouter } from './ipc/router';
import { createSenderPolicy, type SenderInfo } from './ipc/sender';
import { CONTENT_SECURITY_POLICY } from './security/csp';
import { createMainServices } from './services';
import { APP_HOST, APP_SCHEME, APP_URL, isAppNavigation, resolveAppAsset } from './window/app-protocol';
import type { CloseGuard } from './window/close-guard';
import { secureWindowOptions } from './window/options';

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const windows = new Set<number>();
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const appUrl = devUrl ?? APP_URL;

function senderInfo(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame;
  return {
    url: frame?.url ?? '',
    isTopFrame: frame !== null && frame !== undefined && frame.parent === null,
    windowId: BrowserWindow.fromWebContents(event.sender)?.webContents.id ?? null,
  };
}

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppNavigation(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppNavigation(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * The app:// responses carry the CSP themselves, so the policy does not depend on the session's
 * onHeadersReceived hook seeing custom-protocol responses, and frame-ancestors (which a <meta> CSP
 * cannot express) applies. nosniff keeps a file from being run as a script because of its contents.
 */
function withSecurityHeaders(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  headers.set('X-Content-Type-Options', 'nosniff');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export function registerAppHardening(): void {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
}

async function start(): Promise<void> {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  const rendererDir = join(__dirname, '../renderer');
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppAsset(request.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    return withSecurityHeaders(await net.fetch(pathToFileURL(file).toString()));
  });

  const services = createMainServices({
    dataDir: app.getPath('userData'),
    root: app.isPackaged ? process.resourcesPath : app.getAppPath(),
    packaged: app.isPackaged,
    // --practice forces practice mode; otherwise the saved setting decides.
    practice: process.argv.includes('--practice') ? {} : undefined,
  });
  const router = createRouter(services.handlers, {
    log: (entry) => services.log.write({ event: 'ipc', channel: entry.channel, outcome: entry.outcome, code: entry.code }),
    isTrustedSender: createSenderPolicy({ appUrl, knownWindowIds: () => windows }),
  });
  for (const channel of CHANNELS) {
    ipcMain.handle(ipcChannelName(channel), (event, request: unknown) =>
      router.dispatch(channel, senderInfo(event), request, (progress) => {
        if (!event.sender.isDestroyed()) event.sender.send(PROGRESS_EVENT, progress);
      }),
    );
  }
  // PowerShell starts in the background now (process, module, practice lab), so the first check does
  // not wait for it; channels that need no PowerShell answer meanwhile.
  void services.warmUp();
  // Restores what expired while the app was closed (the wizard's banner shows it), then arms the time box.
  void services.startTimebox().catch(() => undefined);
  // Closing or quitting with changes open asks first (close-guard.ts decides; this only wires Electron).
  const guard = services.closeGuard;
  guard.connect({
    ask: (request) => {
      const win = BrowserWindow.getAllWindows().find((w) => windows.has(w.webContents.id) && !w.webContents.isDestroyed());
      if (!win) return false;
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      win.webContents.send(QUIT_REQUEST_EVENT, request);
      return true;
    },
    quit: () => app.quit(),
  });
  app.on('before-quit', (event) => {
    if (guard.attempt() === 'prevent') event.preventDefault();
  });
  app.on('will-quit', () => {
    void services.dispose();
  });

  createWindow(guard);
}

function createWindow(guard: CloseGuard): BrowserWindow {
  const win = new BrowserWindow(secureWindowOptions(join(__dirname, '../preload/index.js')));
  const id = win.webContents.id;
  windows.add(id);
  win.on('close', (event) => {
    if (guard.attempt() === 'prevent') event.preventDefault();
  });
  // Windows is shutting down or signing out: no one can answer, so the guard must not hold it up.
  win.on('session-end', () => guard.release());
  win.on('closed', () => windows.delete(id));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(appUrl);
  return win;
}

/**
 * `CredHop.exe --cli <command> …`: the command line, with no window and no single-instance lock (the
 * journal's own lock keeps it and a running app apart), exiting with the command line's code. Its code
 * is loaded only in this mode, so the app's start-up does not pay for it.
 */
async function runCommandLine(args: readonly string[]): Promise<void> {
  const { flushOutput, runCliInProcess } = await import('../cli/process-entry');
  const code = await runCliInProcess(args, { root: app.isPackaged ? process.resourcesPath : app.getAppPath(), packaged: app.isPackaged });
  await flushOutput();
  app.exit(code);
}

const cliArgs = cliArgsOf(process.argv, app.isPackaged);
if (cliArgs !== null) {
  void runCommandLine(cliArgs);
} else if (!app.requestSingleInstanceLock()) {
  // A second instance would race the first over the journal; hand over to the first instead.
  app.quit();
} else {
  registerAppHardening();
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(start);
}

export { APP_HOST };
