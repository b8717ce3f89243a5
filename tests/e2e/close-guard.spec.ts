// Closing CredHop while changes are open: main's close guard stops the close and its question reaches
// the page through the bridge (the real preload's onQuitRequest); each answer does what it says.
import type { Page } from '@playwright/test';
import { test, expect, type AppHarness } from './harness';
import { createPracticeProfile, DEFAULT_LAB, expectAccessible, screenshots } from './helpers';

async function applyClient(page: Page): Promise<void> {
  await createPracticeProfile(page);
  await page.getByRole('button', { name: 'Continue to the check' }).click();
  // The first check starts PowerShell and the lab: slow on a loaded machine, so more time than usual.
  await expect(page.getByTestId('status-check')).toContainText('Check complete', { timeout: 90_000 });
  await page.getByRole('button', { name: 'Continue to configure the client' }).click();
  await page.getByRole('button', { name: 'Apply to this computer' }).click();
  await expect(page.getByTestId('after-state-client')).toContainText('Done and verified', { timeout: 30_000 });
}

const openSessions = (app: AppHarness) => app.services.hop()!.openSessions();

/** The time as the dialog shows it (the page's locale and time zone). */
async function localTime(page: Page, iso: string): Promise<string> {
  return page.evaluate((at) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), iso);
}

test.describe('the close guard', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('nothing open: CredHop closes without asking', async ({ page, app }) => {
    await app.open(page);
    await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
    expect(app.closeWindow()).toBe('allow');
    await page.waitForTimeout(300); // a question, had one been sent, would be on the page by now
    await expect(page.getByRole('dialog')).toHaveCount(0);
  });

  test('Cancel stays and changes nothing; a second close shows no second dialog; Keep closes with the changes kept', async ({ page, app }) => {
    test.setTimeout(180_000);
    await app.open(page);
    await applyClient(page);
    const changed = await app.labState();
    const [session] = openSessions(app);
    expect(session).toBeDefined();

    expect(app.closeWindow()).toBe('prevent');
    const dialog = page.getByRole('dialog', { name: 'CredSSP is still on. Close CredHop?' });
    await expect(dialog).toBeVisible();
    const until = await localTime(page, session!.begin.expiresAt);
    await expect(dialog).toContainText(`Practice: adfs1 to mem2 (practice): this computer, until ${until}`);
    // The client step armed this computer's scheduled restore (the journal says so), so Keep may promise it.
    await expect(dialog).toContainText('the scheduled restore on each machine puts everything back at that time, even with CredHop closed');
    const keep = dialog.getByRole('button', { name: `Keep until ${until} (the scheduled restore is armed)` });
    await expect(keep).toBeVisible();
    // The safe choice has the focus; the page behind is inert.
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await expectAccessible(page, 'close dialog');
    await screenshots(page, 'close-guard-dialog');

    // Closing again while it is open: still one dialog.
    expect(app.closeWindow()).toBe('prevent');
    await page.waitForTimeout(300);
    await expect(page.getByRole('dialog')).toHaveCount(1);

    // Escape is Cancel: CredHop stays, the machines and the journal are as they were.
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    expect(app.quits).toBe(0);
    expect(await app.labState()).toEqual(changed);
    expect(openSessions(app)).toHaveLength(1);

    // Asked again, Keep: CredHop quits and the changes stay for their time box.
    expect(app.closeWindow()).toBe('prevent');
    await keep.click();
    await expect(page.getByTestId('quit-status')).toContainText(`CredHop is closing. The changes stay until ${until}.`);
    await expect.poll(() => app.quits).toBe(1);
    expect(openSessions(app)).toHaveLength(1);
    expect(await app.labState()).toEqual(changed);
    expect(app.closeWindow()).toBe('allow');
  });

  test('Restore now, by keyboard only: both machines are put back with progress shown, then CredHop quits', async ({ page, app }) => {
    test.setTimeout(180_000);
    await app.open(page);
    const before = await app.labState();
    await applyClient(page);
    await page.getByRole('button', { name: 'Continue to configure the server' }).click();
    await page.getByRole('button', { name: 'Apply to adfs1.company.pri' }).click();
    await expect(page.getByTestId('after-state-server')).toContainText('Done and verified', { timeout: 30_000 });
    expect(await app.labState()).not.toEqual(before);

    expect(app.closeWindow()).toBe('prevent');
    const dialog = page.getByRole('dialog', { name: 'CredSSP is still on. Close CredHop?' });
    await expect(dialog).toContainText('this computer and adfs1.company.pri');
    // Focus starts on Cancel; Shift+Tab walks back through Keep to Restore now, and stays in the dialog.
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Shift+Tab');
    await expect(dialog.getByRole('button', { name: /^Keep until/ })).toBeFocused();
    await page.keyboard.press('Shift+Tab');
    await expect(dialog.getByRole('button', { name: 'Restore now' })).toBeFocused();
    await page.keyboard.press('Enter');

    // While it runs: the choices are disabled and the status line says what is happening.
    await expect(dialog.getByRole('button', { name: 'Restore now' })).toBeDisabled();
    await expect(page.getByTestId('quit-status')).toContainText('Everything is back as it was. CredHop is closing.', { timeout: 60_000 });
    await expect.poll(() => app.quits).toBe(1);
    expect(await app.labState()).toEqual(before);
    expect(openSessions(app)).toHaveLength(0);
    await expectAccessible(page, 'close dialog after restore');
  });
});
