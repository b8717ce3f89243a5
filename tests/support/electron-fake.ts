// Boots src/main/index.ts against a stand-in for the `electron` module (the binary cannot run here)
// and hands back what the bootstrap registered: IPC handlers, the app:// protocol handler, windows.
// Like tests/unit/electron-bootstrap.test.ts, but with main's services built on a temporary data
// folder, no PowerShell, and every handler counted, so a test can prove a handler never ran.
import { vi } from 'vitest';
import type { Channel } from '../../src/shared/channels';
import type { RestoreReportData } from '../../src/shared/contract/hop';
import type { OpenSession } from '../../src/main/hop/journal';
import type { MainOptions, MainServices } from '../../src/main/services';
import { CloseGuard } from '../../src/main/window/close-guard';

type Listener = (...args: unknown[]) => unknown;

export interface FakeWebContents {
  id: number;
  isDestroyed(): boolean;
  send: ReturnType<typeof vi.fn>;
}

export interface FakeWindow {
  options: Record<string, unknown>;
  webContents: FakeWebContents;
  /** Listeners the bootstrap registered with win.on / win.once, by event name. */
  listeners: Map<string, Listener[]>;
  show: ReturnType<typeof vi.fn>;
  focus: ReturnType<typeof vi.fn>;
}

export interface BootedMain {
  ipcHandlers: Map<string, (event: unknown, request: unknown) => Promise<unknown>>;
  protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  windows: FakeWindow[];
  handlerRuns: Map<Channel, number>;
  netFetch: ReturnType<typeof vi.fn>;
  /** Listeners the bootstrap registered with app.on, by event name. */
  appListeners: Map<string, Listener[]>;
  app: { quit: ReturnType<typeof vi.fn>; exit: ReturnType<typeof vi.fn>; requestSingleInstanceLock: ReturnType<typeof vi.fn> };
  /** Resolves with the code of the first app.exit(code). */
  exited: Promise<number>;
}

export interface BootOptions {
  /** process.argv while the bootstrap loads (it reads `--cli` there); the test runner's own otherwise. */
  argv?: string[];
  packaged?: boolean;
  /**
   * Leave main's services as they are (the command line builds its own, with real PowerShell). By
   * default they get no PowerShell, so nothing on this machine is touched.
   */
  realServices?: boolean;
  /** Open journal sessions for the close guard (there is no PowerShell, so no hop engine to read them). */
  openSessions?: () => OpenSession[];
  restore?: () => Promise<RestoreReportData>;
}

export async function bootMain(dataDir: string, boot: BootOptions = {}): Promise<BootedMain> {
  const ipcHandlers: BootedMain['ipcHandlers'] = new Map();
  const protocolHandlers: BootedMain['protocolHandlers'] = new Map();
  const windows: BootedMain['windows'] = [];
  const handlerRuns: BootedMain['handlerRuns'] = new Map();
  const netFetch = vi.fn(async (_url: string) => new Response('<!doctype html>', { headers: { 'Content-Type': 'text/html' } }));
  const appListeners: BootedMain['appListeners'] = new Map();
  const addListener = (map: Map<string, Listener[]>) => (name: string, fn: Listener) => void map.set(name, [...(map.get(name) ?? []), fn]);
  let exitWith: (code: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (exitWith = r));
  const app = { quit: vi.fn(), exit: vi.fn((code: number) => exitWith(code)), requestSingleInstanceLock: vi.fn(() => true) };
  const electron = {
    app: {
      isPackaged: boot.packaged ?? false,
      requestSingleInstanceLock: app.requestSingleInstanceLock,
      quit: app.quit,
      exit: app.exit,
      on: vi.fn(addListener(appListeners)),
      whenReady: () => Promise.resolve(),
      getPath: () => dataDir,
      getAppPath: () => process.cwd(),
    },
    protocol: {
      registerSchemesAsPrivileged: vi.fn(),
      handle: (scheme: string, fn: (request: Request) => Promise<Response>) => protocolHandlers.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        webRequest: { onHeadersReceived: vi.fn() },
      },
    },
    ipcMain: { handle: (name: string, fn: (event: unknown, request: unknown) => Promise<unknown>) => ipcHandlers.set(name, fn) },
    net: { fetch: netFetch },
    BrowserWindow: Object.assign(
      vi.fn(function (this: unknown, options: Record<string, unknown>) {
        const webContents: FakeWebContents = { id: 41 + windows.length, isDestroyed: () => false, send: vi.fn() };
        const listeners = new Map<string, Listener[]>();
        const win = {
          options,
          webContents,
          listeners,
          loadURL: vi.fn(async () => undefined),
          on: vi.fn(addListener(listeners)),
          once: vi.fn(addListener(listeners)),
          isMinimized: () => false,
          restore: vi.fn(),
          show: vi.fn(),
          focus: vi.fn(),
        };
        windows.push(win);
        return win;
      }),
      {
        // Only windows the app created are known to Electron; anything else has no BrowserWindow.
        fromWebContents: (wc: { id: number }) => windows.find((w) => w.webContents.id === wc.id) ?? null,
        getAllWindows: () => windows,
      },
    ),
  };

  vi.resetModules();
  vi.doMock('electron', () => electron);
  if (!boot.realServices) vi.doMock('../../src/main/services', async () => {
    const actual = await vi.importActual<typeof import('../../src/main/services')>('../../src/main/services');
    return {
      ...actual,
      createMainServices(options: MainOptions): MainServices {
        // No PowerShell: nothing on this machine is touched, whatever a handler would do.
        const services = actual.createMainServices({ ...options, configuredPowerShell: '/nonexistent/pwsh', env: {} });
        if (boot.openSessions) {
          // The same wiring as services.ts, over the test's sessions instead of a journal read by PowerShell.
          const guard = new CloseGuard({ openSessions: boot.openSessions, scheduledRestore: () => false, restore: boot.restore ?? (async () => ({ sessions: [], clean: true })) });
          services.closeGuard = guard;
          services.handlers.appQuitAnswer = (request, ctx) => guard.answer(request.choice, ctx);
        }
        const handlers = services.handlers as unknown as Record<string, (...args: unknown[]) => unknown>;
        for (const channel of Object.keys(handlers) as Channel[]) {
          const original = handlers[channel]!;
          handlers[channel] = (...args: unknown[]) => {
            handlerRuns.set(channel, (handlerRuns.get(channel) ?? 0) + 1);
            return original(...args);
          };
        }
        return services;
      },
    };
  });
  const argv = process.argv;
  if (boot.argv) process.argv = boot.argv;
  try {
    await import('../../src/main/index');
  } finally {
    process.argv = argv;
  }
  await new Promise((r) => setTimeout(r, 0));
  vi.doUnmock('electron');
  vi.doUnmock('../../src/main/services');
  return { ipcHandlers, protocolHandlers, windows, handlerRuns, netFetch, appListeners, app, exited };
}
