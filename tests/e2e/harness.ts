// The renderer end-to-end harness: the built renderer in Debian's Chromium, the real preload (bundled
// with the IPC stand-in), and the real main-side router and handlers running in this test process.
// The binding stands in for Electron's IPC transport only; everything behind it is the app's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { z } from 'zod';
import { PROGRESS_EVENT, QUIT_REQUEST_EVENT } from '../../src/shared/channels';
import type { ProgressEvent } from '../../src/shared/result';
import { createRouter, type Router } from '../../src/main/ipc/router';
import { createSenderPolicy } from '../../src/main/ipc/sender';
import { createMainServices, type MainOptions, type MainServices } from '../../src/main/services';

const labView = z
  .object({
    hosts: z.record(z.string(), z.object({ clientCredSSP: z.unknown(), serviceCredSSP: z.unknown(), registry: z.unknown(), registryPol: z.unknown() }).passthrough()),
  })
  .passthrough();

export interface AppHarness {
  /** The services behind the bridge now (a restart replaces them). */
  readonly services: MainServices;
  readonly router: Router;
  dataDir: string;
  /** Every answer that crossed the bridge, for assertions (e.g. that no secret did). */
  responses: unknown[];
  open(page: Page): Promise<void>;
  /**
   * Stops the app's main side and starts a new one over the same data folder and lab state (as after
   * a crash and a restart), then reloads the page.
   */
  restart(page: Page): Promise<void>;
  /** The lab's machines as the tests compare them: flags, registry and local GPO records per host. */
  labState(): Promise<unknown>;
  /**
   * The operator closes the window: what main's close guard decides ('prevent' = the close was stopped
   * and the question sent to the page through the bridge, as index.ts does with Electron's close event).
   */
  closeWindow(): 'allow' | 'prevent';
  /** How many times the close guard quit the app (index.ts calls app.quit there). */
  readonly quits: number;
  /** A lab entry point (faults, Group Policy refresh, host settings) through the app's own shell. */
  lab(fn: 'Invoke-CredHopLabGpUpdate' | 'Set-CredHopLabHost' | 'Add-CredHopLabFault', payload: unknown): Promise<unknown>;
}

export interface HarnessOptions {
  mainOptions: Partial<MainOptions>;
}

export const test = base.extend<HarnessOptions & { app: AppHarness }>({
  mainOptions: [{}, { option: true }],
  app: async ({ mainOptions, baseURL }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-e2e-'));
    const windowIds = new Set<number>();
    const build = (options: Partial<MainOptions>) => {
      const services = createMainServices({ dataDir, root: process.cwd(), ...options });
      const router = createRouter(services.handlers, {
        isTrustedSender: createSenderPolicy({ appUrl: `${baseURL}/`, knownWindowIds: () => windowIds }),
      });
      return { services, router };
    };
    let current = build(mainOptions);
    const responses: unknown[] = [];
    let nextId = 1;
    let quits = 0;
    let shownPage: Page | null = null;
    // What index.ts does for the close guard, with the page standing in for the window.
    const connectGuard = () =>
      current.services.closeGuard.connect({
        ask: (request) => {
          if (!shownPage) return false;
          void shownPage
            .evaluate(([name, payload]) => (window as unknown as { __credhopEmit(c: string, p: unknown): void }).__credhopEmit(name, payload), [QUIT_REQUEST_EVENT, request] as const)
            .catch(() => undefined);
          return true;
        },
        quit: () => {
          quits += 1;
        },
      });
    const harness: AppHarness = {
      get services() {
        return current.services;
      },
      get router() {
        return current.router;
      },
      dataDir,
      responses,
      get quits() {
        return quits;
      },
      closeWindow() {
        return current.services.closeGuard.attempt();
      },
      async open(page) {
        shownPage = page;
        connectGuard();
        const id = nextId++;
        windowIds.add(id);
        await page.exposeBinding('__credhopInvoke', async (source, ipcChannel: string, request: unknown) => {
          const channel = ipcChannel.startsWith('credhop:') ? ipcChannel.slice('credhop:'.length) : ipcChannel;
          const emit = (event: ProgressEvent) => {
            void source.page
              .evaluate(([name, payload]) => (window as unknown as { __credhopEmit(c: string, p: unknown): void }).__credhopEmit(name, payload), [PROGRESS_EVENT, event] as const)
              .catch(() => undefined);
          };
          const result = await current.router.dispatch(
            channel,
            { url: source.frame.url(), isTopFrame: source.frame.parentFrame() === null, windowId: source.page === page ? id : null },
            request,
            emit,
          );
          responses.push(result);
          return result;
        });
        await page.addInitScript({ path: resolve('out/e2e-preload/preload.js') });
        await page.goto('/');
      },
      async restart(page) {
        await current.services.dispose();
        const practice = mainOptions.practice ? { ...mainOptions.practice, reset: false } : mainOptions.practice;
        current = build({ ...mainOptions, ...(practice === undefined ? {} : { practice }) });
        connectGuard();
        await page.reload();
      },
      async labState() {
        const view = await current.services.engine()!.lab('Get-CredHopLabState', {}, labView);
        const out: Record<string, unknown> = {};
        for (const [name, h] of Object.entries(view.hosts)) {
          out[name] = { clientCredSSP: h.clientCredSSP, serviceCredSSP: h.serviceCredSSP, registry: h.registry, registryPol: h.registryPol };
        }
        return out;
      },
      async lab(fn, payload) {
        return current.services.engine()!.lab(fn, payload, z.unknown());
      },
    };
    await use(harness);
    await current.services.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
