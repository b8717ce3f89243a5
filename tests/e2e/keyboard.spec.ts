// The whole flow with the keyboard only: Tab to reach each control (in visual order), Enter or Space
// to use it, focus always visible, and focus on the new step's heading after every step change.
import type { Locator, Page } from '@playwright/test';
import { test, expect } from './harness';
import { DEFAULT_LAB, stepHeading } from './helpers';

/** Presses Tab until the control has focus (fails if it is not reachable), and checks the focus is visible. */
async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) {
      const outline = await target.evaluate((el) => {
        const style = getComputedStyle(el);
        return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      expect(outline.style, 'focus is visible').not.toBe('none');
      expect(outline.width).toBeGreaterThanOrEqual(2);
      return;
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`Could not reach ${target} with Tab`);
}

test.describe('keyboard only', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('completes the whole flow, profile to restored, without a mouse', async ({ page, app }) => {
    test.setTimeout(120_000);
    await app.open(page);
    const before = await app.labState();

    // The first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to the current step' })).toBeFocused();

    await tabTo(page, page.getByRole('button', { name: "Fill in the practice lab's machines" }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel('Profile name'));
    await page.keyboard.type('Keyboard practice');
    await tabTo(page, page.getByRole('button', { name: 'Save the profile' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('radio', { name: /Keyboard practice/ })).toBeChecked();
    await tabTo(page, page.getByLabel('Password for COMPANY\\Administrator'));
    await page.keyboard.type('lab-password');
    await tabTo(page, page.getByRole('button', { name: 'Keep this password' }));
    await page.keyboard.press('Space');
    await expect(page.getByTestId('password-panel')).toContainText('Kept for this run');

    await tabTo(page, page.getByRole('button', { name: 'Continue to the check' }));
    await page.keyboard.press('Enter');
    await expect(stepHeading(page, /Check both machines/)).toBeFocused();
    await expect(page.getByTestId('status-check')).toContainText('Check complete.', { timeout: 30_000 });

    // Show PowerShell opens from the keyboard too.
    await tabTo(page, page.getByRole('button', { name: 'Continue to configure the client' }));
    await page.keyboard.press('Enter');
    await expect(stepHeading(page, /Configure this computer/)).toBeFocused();
    const summary = page.locator('summary').filter({ hasText: 'Show PowerShell' }).first();
    await tabTo(page, summary);
    await page.keyboard.press('Enter');
    await expect(page.locator('details.ps').first()).toHaveAttribute('open', '');
    await tabTo(page, page.getByRole('button', { name: 'Apply to this computer' }));
    await page.keyboard.press('Space');
    await expect(page.getByTestId('after-state-client')).toContainText('Done and verified');

    await tabTo(page, page.getByRole('button', { name: 'Continue to configure the server' }));
    await page.keyboard.press('Enter');
    await expect(stepHeading(page, /Configure the jump server/)).toBeFocused();
    await tabTo(page, page.getByRole('button', { name: 'Apply to adfs1.company.pri' }));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('after-state-server')).toContainText('Done and verified');

    await tabTo(page, page.getByRole('button', { name: 'Continue to the test' }));
    await page.keyboard.press('Enter');
    await expect(stepHeading(page, /Test the hop/)).toBeFocused();
    await tabTo(page, page.getByRole('button', { name: 'Run the test' }));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('test-passed')).toBeVisible({ timeout: 30_000 });
    await tabTo(page, page.getByRole('button', { name: 'Open a session on adfs1.company.pri' }));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('console-result')).toContainText('Practice mode');

    await tabTo(page, page.getByRole('button', { name: 'Continue to restore' }));
    await page.keyboard.press('Enter');
    await expect(stepHeading(page, /Restore both machines/)).toBeFocused();
    await tabTo(page, page.getByRole('button', { name: 'Restore now' }));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.', { timeout: 30_000 });
    expect(await app.labState()).toEqual(before);
  });
});
