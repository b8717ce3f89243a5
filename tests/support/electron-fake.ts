// Boots src/main/index.ts against a stand-in for the `electron` module (the binary cannot run here)
// and hands back what the bootstrap registered: IPC handlers, the app:// protocol handler, windows.
// Like tests/unit/electron-bootstrap.test.ts, but with main's services built on a temporary data
// folder, no PowerShell, and every handler counted, so a test can prove a handler never ran.
import { vi } from 'vitest';
import type { Channel } from '../../src/shared/channels';
import type { MainOptions, MainServices } from '../../src/main/services';

export interface FakeWebContents {
  id: number;
  isDestroyed(): boolean;
  send: ReturnType<typeof vi.fn>;
}

export interface BootedMain {
  ipcHandlers: Map<string, (event: unknown, request: unknown) => Promise<unknown>>;
  protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  windows: { options: Record<string, unknown>; webContents: FakeWebContents }[];
  handlerRuns: Map<Channel, number>;
  netFetch: ReturnType<typeof vi.fn>;
}

export async function bootMain(dataDir: string): Promise<BootedMain> {
  const ipcHandlers: BootedMain['ipcHandlers'] = new Map();
  const protocolHandlers: BootedMain['protocolHandlers'] = new Map();
  const windows: BootedMain['windows'] = [];
  const handlerRuns: BootedMain['handlerRuns'] = new Map();
  const netFetch = vi.fn(async (_url: string) => new Response('<!doctype html>', { headers: { 'Content-Type': 'text/html' } }));
  const electron = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => true,
      quit: vi.fn(),
      on: vi.fn(),
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
        const win = { options, webContents, loadURL: vi.fn(async () => undefined), on: vi.fn(), once: vi.fn() };
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
  vi.doMock('../../src/main/services', async () => {
    const actual = await vi.importActual<typeof import('../../src/main/services')>('../../src/main/services');
    return {
      ...actual,
      createMainServices(options: MainOptions): MainServices {
        // No PowerShell: nothing on this machine is touched, whatever a handler would do.
        const services = actual.createMainServices({ ...options, configuredPowerShell: '/nonexistent/pwsh', env: {} });
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
  await import('../../src/main/index');
  await new Promise((r) => setTimeout(r, 0));
  vi.doUnmock('electron');
  vi.doUnmock('../../src/main/services');
  return { ipcHandlers, protocolHandlers, windows, handlerRuns, netFetch };
}
