import { test, expect } from './harness';

test.describe('first screen', () => {
  test('shows the wizard frame and reports the PowerShell the app found, through the real bridge', async ({ page, app }) => {
    await app.open(page);
    await expect(page.getByRole('heading', { name: 'CredHop', level: 1 })).toBeVisible();
    const steps = page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('listitem');
    await expect(steps).toHaveCount(6);
    await expect(page.getByRole('heading', { name: /Choose a profile/ })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Clean up now' })).toBeVisible();
    await expect(page.getByTestId('real-badge')).toHaveText('Real machines');
    const summary = page.getByTestId('powershell-report');
    await expect(summary).toContainText(/PowerShell 7\.\d+\.\d+ is ready/);
    await expect(summary).toContainText(app.services.powershell!.path);
    // Steps that need an earlier one say why they are not available yet.
    await expect(page.getByRole('button', { name: /Check.*Choose a profile first/ })).toBeDisabled();
    await expect(page.getByRole('button', { name: /Restore.*Run the check first/ })).toBeDisabled();
  });

  test('the Clean up now button answers on the first screen', async ({ page, app }) => {
    await app.open(page);
    await page.getByRole('button', { name: 'Clean up now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Nothing to clean up' })).toBeVisible();
  });

  test('the page cannot reach anything but the exposed API (no require, no ipcRenderer)', async ({ page, app }) => {
    await app.open(page);
    const globals = await page.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      methods: Object.keys((window as unknown as { credhop: object }).credhop).sort(),
    }));
    expect(globals.require).toBe('undefined');
    expect(globals.process).toBe('undefined');
    expect(globals.methods).toContain('envCheck');
    expect(globals.methods).toContain('hopOpenConsole');
    expect(globals.methods).toContain('settingsSave');
    expect(globals.methods).toContain('onProgress');
  });

  test('a call from an iframe is refused by the router', async ({ page, app }) => {
    await app.open(page);
    const result = await page.evaluate(async () => {
      const frame = document.createElement('iframe');
      frame.srcdoc = '<p>x</p>';
      document.body.append(frame);
      await new Promise((r) => frame.addEventListener('load', r));
      const invoke = (frame.contentWindow as unknown as { __credhopInvoke?: (c: string, r: unknown) => Promise<unknown> }).__credhopInvoke;
      return invoke ? invoke('credhop:envCheck', {}) : 'no-binding-in-frame';
    });
    // Either the frame has no way in at all, or its call is refused as an untrusted sender.
    if (result !== 'no-binding-in-frame') expect(result).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
  });
});

test.describe('first screen without PowerShell', () => {
  test.use({ mainOptions: { configuredPowerShell: '/nonexistent/pwsh' } });

  test('says in plain words that no PowerShell was found and what to do', async ({ page, app }) => {
    await app.open(page);
    const summary = page.getByTestId('powershell-report');
    await expect(summary).toContainText('was not found');
    await expect(summary).toContainText('Choose another');
  });
});
