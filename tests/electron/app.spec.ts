// Runs the real Electron app when an Electron binary is available. This machine cannot download one,
// so without ELECTRON_OVERRIDE_DIST_PATH the test is reported as skipped, with the reason, loudly.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { platform, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { _electron as electron, chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { createPracticeProfile } from '../e2e/helpers';

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

// ---------------------------------------------------------------------------------------------------------
// The packaged app: the installed CredHop.exe (CREDHOP_APP_EXE; .github/workflows/windows.yml sets it after
// installing the NSIS build). Playwright's _electron cannot drive it: the fuse enableNodeCliInspectArguments
// is off (electron-builder.json), and _electron needs the Node inspector to start. So the test starts the exe
// itself with Chromium's --remote-debugging-port and drives the window over CDP — the real window, preload and
// IPC of the shipped binary. Without CREDHOP_APP_EXE it says it skipped.
const packagedExe = process.env.CREDHOP_APP_EXE;
const packaged = packagedExe !== undefined && existsSync(packagedExe);
if (!packaged) {
  process.stderr.write('\n*** Packaged-app test SKIPPED: no installed CredHop.exe (set CREDHOP_APP_EXE; the Windows workflow does). ***\n\n');
}

async function launchPackaged(dataDir: string): Promise<{ page: Page; browser: Browser; child: ChildProcess; startedAt: number }> {
  const port = 9300 + Math.floor(Math.random() * 600);
  const startedAt = Date.now();
  const child = spawn(packagedExe!, [`--remote-debugging-port=${port}`, '--practice'], { env: { ...process.env, CREDHOP_DATA_DIR: dataDir }, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  let browser: Browser | undefined;
  while (!browser) {
    try {
      browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`CredHop.exe did not open its debugging port ${port} within 60 s: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const context = browser.contexts()[0];
  if (!context) throw new Error('CredHop.exe has no browser context on its debugging port');
  const page = context.pages()[0] ?? (await context.waitForEvent('page'));
  return { page, browser, child, startedAt };
}

async function stopPackaged(run: { browser: Browser; child: ChildProcess }): Promise<void> {
  await run.browser.close().catch(() => undefined);
  if (run.child.exitCode === null) run.child.kill();
}

test.describe('Packaged CredHop.exe', () => {
  test.skip(!packaged, 'No installed CredHop.exe: set CREDHOP_APP_EXE to run this test (the Windows workflow does).');
  test.describe.configure({ mode: 'serial' });
  const dataDir = packaged ? mkdtempSync(join(tmpdir(), 'credhop-packaged-')) : '';
  const profileName = 'Practice: adfs1 to mem2';

  test('hardened window; the express path in practice mode to a verified hop; the close guard asks with a session open', async () => {
    test.setTimeout(300_000);
    const run = await launchPackaged(dataDir);
    const { page } = run;
    try {
      await expect(page.getByRole('heading', { name: 'CredHop' }).first()).toBeVisible({ timeout: 60_000 });
      const exposed = await page.evaluate(() => ({
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
        api: Object.keys((window as unknown as { credhop: object }).credhop).length > 0,
        url: location.href,
        popup: window.open('https://example.com/') === null,
      }));
      expect(exposed).toEqual({ require: 'undefined', process: 'undefined', api: true, url: 'app://credhop/index.html', popup: true });
      // navigation away is denied: the page stays the app's own
      await page.evaluate(() => { location.href = 'https://example.com/'; }).catch(() => undefined);
      await page.waitForTimeout(1000);
      expect(page.url()).toBe('app://credhop/index.html');

      await createPracticeProfile(page, profileName);
      const express = page.getByTestId('express');
      await express.getByRole('button', { name: 'Check both machines' }).click();
      await express.getByRole('button', { name: 'Apply both steps and test the hop' }).click({ timeout: 90_000 });
      await expect(page.getByRole('heading', { name: /The hop works/ })).toBeVisible({ timeout: 120_000 });
      await page.screenshot({ path: 'artifacts/windows/packaged-hop-verified.png' });

      // the close guard: closing the window with a session open asks first
      await page.evaluate(() => window.close());
      const dialog = page.getByRole('dialog', { name: 'CredSSP is still on. Close CredHop?' });
      await expect(dialog).toBeVisible({ timeout: 15_000 });
      await page.screenshot({ path: 'artifacts/windows/packaged-close-guard.png' });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await express.getByRole('button', { name: 'Restore', exact: true }).click();
      await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.', { timeout: 120_000 });
    } finally {
      await stopPackaged(run);
    }
  });

  test('launch to the profile list on screen, measured into bench/electron-launch.json', async () => {
    test.setTimeout(120_000);
    const run = await launchPackaged(dataDir);
    try {
      await expect(run.page.getByRole('radio', { name: new RegExp(profileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) })).toBeVisible({ timeout: 60_000 });
      const ms = Date.now() - run.startedAt;
      mkdirSync('bench', { recursive: true });
      writeFileSync('bench/electron-launch.json', `${JSON.stringify({ what: 'CredHop.exe start to the saved profile on screen (practice mode, second start)', ms, os: `${platform()} ${release()}`, exe: packagedExe, at: new Date().toISOString() }, null, 2)}\n`);
      process.stdout.write(`Packaged CredHop.exe: launch to the profile list in ${ms} ms\n`);
    } finally {
      await stopPackaged(run);
    }
  });

  test('credhop.cmd runs doctor and returns the exit codes', () => {
    const cmd = join(dirname(packagedExe!), 'credhop.cmd');
    const env = { ...process.env, CREDHOP_DATA_DIR: dataDir };
    const doctor = spawnSync('cmd.exe', ['/d', '/c', cmd, 'doctor'], { encoding: 'utf8', env, timeout: 120_000 });
    expect([0, 1]).toContain(doctor.status);   // 0: every line OK; 1: something to do (each line says what)
    expect(doctor.stdout).toMatch(/PowerShell/);
    const refused = spawnSync('cmd.exe', ['/d', '/c', cmd, 'check', '--practice', '--timebox', 'abc'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(refused.status).toBe(2);          // refused input
    expect(refused.stdout + refused.stderr).toMatch(/--timebox/);
    const status = spawnSync('cmd.exe', ['/d', '/c', cmd, 'status', '--practice'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(status.status).toBe(0);
  });
});
