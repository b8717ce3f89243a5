// Settings: the default time box, practice mode switched at runtime (main restarts its PowerShell on
// the lab), the PowerShell found; and the layout at 200% zoom.
import { test, expect } from './harness';
import { createPracticeProfile, expectAccessible, runCheck, screenshots, stepHeading } from './helpers';

test.describe('settings', () => {
  test('shows the PowerShell found, saves the default time box, and switches practice mode at runtime', async ({ page, app }) => {
    test.setTimeout(90_000);
    await app.open(page);
    await expect(page.getByTestId('real-badge')).toBeVisible();

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(stepHeading(page, 'Settings')).toBeFocused();
    await expect(page.getByTestId('ps-path')).toHaveText(app.services.powershell!.path);
    // The version comes from a PowerShell started for it: a hang guard, not a time limit (a loaded
    // 2-core machine has taken longer than the default 5 s to start one).
    await expect(page.getByTestId('ps-version')).toHaveText(/^7\.\d+\.\d+/, { timeout: 60_000 });
    await page.getByLabel('Default time box (minutes)').fill('0');
    await expect(page.getByText('Enter whole minutes from 1 to 480.')).toBeVisible();
    await page.getByLabel('Default time box (minutes)').fill('25');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    await expect(page.getByTestId('status-settings')).toContainText('Settings saved.');
    expect(app.services.settings.get().defaultTimeBoxMinutes).toBe(25);
    await expectAccessible(page, 'settings');
    await screenshots(page, '7-settings');
    await page.getByRole('button', { name: 'Back to the wizard' }).click();
    await expect(page.getByText('Empty: 25 (the default in Settings).')).toBeVisible();

    // Practice mode on, from the profile step: main switches to the lab without a restart.
    await page.getByRole('radio', { name: /Practice mode/ }).check();
    await expect(page.getByTestId('practice-badge')).toBeVisible();
    expect(app.services.practiceMode).toBe(true);
    await createPracticeProfile(page);
    await runCheck(page);
    await expect(page.getByTestId('credssp-view')).toContainText('not configured to allow delegating');

    // 200% zoom: the same screen in half the CSS width; the steps move above, nothing scrolls sideways.
    await page.setViewportSize({ width: 640, height: 720 });
    await expect(page.getByRole('navigation', { name: 'Wizard steps' })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshots(page, 'zoom200-check');
    await page.getByRole('button', { name: 'Continue to configure the client' }).click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshots(page, 'zoom200-client');
    await page.setViewportSize({ width: 1280, height: 800 });

    // And back to real machines.
    await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /^Profile/ }).click();
    await page.getByRole('radio', { name: /Real machines/ }).check();
    await expect(page.getByTestId('real-badge')).toBeVisible();
    expect(app.services.practiceMode).toBe(false);
    expect(app.services.settings.get().practiceMode).toBe(false);
  });

  test('refuses a lab file that does not exist, in plain words', async ({ page, app }) => {
    await app.open(page);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Practice lab file').fill('/nonexistent/lab.json');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    await expect(page.getByRole('alert')).toContainText('There is no lab file at /nonexistent/lab.json.');
    await expect(page.getByRole('alert')).not.toContainText(/at .*\.ts:\d+/); // never a stack trace
  });
});
