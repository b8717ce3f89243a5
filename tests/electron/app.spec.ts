// Runs the real Electron app when an Electron binary is available. This machine cannot download one,
// so without ELECTRON_OVERRIDE_DIST_PATH the test is reported as skipped, with the reason, loudly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH;
const executable = dist ? join(dist, process.platform === 'win32' ? 'electron.exe' : 'electron') : undefined;
const available = executable !== undefined && existsSync(executable);

if (!available) {
  process.stderr.write(
    '\n*** Electron end-to-end test SKIPPED: no Electron binary here (set ELECTRON_OVERRIDE_DIST_PATH to a folder holding one). ' +
      'The renderer end-to-end tests in Chromium cover the UI; this test covers the real window, preload and IPC. ***\n\n',
  );
}

test.describe('Electron app', () => {
  test.skip(!available, 'No Electron binary: set ELECTRON_OVERRIDE_DIST_PATH to run this test.');

  test('opens the hardened window and answers the environment check over real IPC', async () => {
    const app = await electron.launch({ executablePath: executable, args: ['.', '--no-sandbox'] });
    try {
      const window = await app.firstWindow();
      await expect(window.getByRole('heading', { name: 'CredHop' })).toBeVisible();
      await expect(window.getByTestId('powershell-summary')).toBeVisible();
      // Sandbox + context isolation: the page sees neither Node nor Electron, only the typed API.
      const exposed = await window.evaluate(() => ({
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
        api: Object.keys((window as unknown as { credhop: object }).credhop).length > 0,
        url: location.href,
      }));
      expect(exposed).toEqual({ require: 'undefined', process: 'undefined', api: true, url: 'app://credhop/index.html' });
    } finally {
      await app.close();
    }
  });
});
