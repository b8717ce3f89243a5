import { defineConfig } from '@playwright/test';

// Debian's Chromium (Playwright's own browser download cannot run here). The networking flags keep
// Chromium from flooding the closed network.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// CREDHOP_E2E_PORT lets several checkouts run their e2e suites side by side on one machine.
const PORT = Number(process.env.CREDHOP_E2E_PORT ?? 4179);

export default defineConfig({
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 2,
  retries: 0,
  outputDir: 'artifacts/playwright',
  reporter: [['list'], ['json', { outputFile: 'artifacts/playwright.json' }]],
  globalSetup: './tests/e2e/global-setup.ts',
  projects: [
    {
      name: 'renderer',
      testDir: 'tests/e2e',
      use: {
        baseURL: `http://127.0.0.1:${PORT}`,
        browserName: 'chromium',
        launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
        trace: 'off',
      },
    },
    { name: 'electron', testDir: 'tests/electron' },
  ],
  webServer: {
    command: `npx vite preview --outDir out/renderer --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
