// The renderer end-to-end harness: the built renderer in Debian's Chromium, the real preload (bundled
// with the IPC stand-in), and the real main-side router and handlers running in this test process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { PROGRESS_EVENT } from '../../src/shared/channels';
import type { ProgressEvent } from '../../src/shared/result';
import { createRouter, type Router } from '../../src/main/ipc/router';
import { createSenderPolicy } from '../../src/main/ipc/sender';
import { createMainServices, type MainOptions, type MainServices } from '../../src/main/services';

export interface AppHarness {
  services: MainServices;
  router: Router;
  dataDir: string;
  /** Every answer that crossed the bridge, for assertions (e.g. that no secret did). */
  responses: unknown[];
  open(page: Page): Promise<void>;
}

export interface HarnessOptions {
  mainOptions: Partial<MainOptions>;
}

export const test = base.extend<HarnessOptions & { app: AppHarness }>({
  mainOptions: [{}, { option: true }],
  app: async ({ mainOptions, baseURL }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-e2e-'));
    const services = createMainServices({ dataDir, root: process.cwd(), ...mainOptions });
    const windowIds = new Set<number>();
    const router = createRouter(services.handlers, {
      isTrustedSender: createSenderPolicy({ appUrl: `${baseURL}/`, knownWindowIds: () => windowIds }),
    });
    const responses: unknown[] = [];
    let nextId = 1;
    const harness: AppHarness = {
      services,
      router,
      dataDir,
      responses,
      async open(page) {
        const id = nextId++;
        windowIds.add(id);
        await page.exposeBinding('__credhopInvoke', async (source, ipcChannel: string, request: unknown) => {
          const channel = ipcChannel.startsWith('credhop:') ? ipcChannel.slice('credhop:'.length) : ipcChannel;
          const emit = (event: ProgressEvent) => {
            void source.page
              .evaluate(([name, payload]) => (window as unknown as { __credhopEmit(c: string, p: unknown): void }).__credhopEmit(name, payload), [PROGRESS_EVENT, event] as const)
              .catch(() => undefined);
          };
          const result = await router.dispatch(
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
    };
    await use(harness);
    await services.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
