// A long-running step can be stopped from its status line: the probe is killed, the operator is told
// what that means, and Clean up now still puts everything back.
import { test, expect } from './harness';
import { configureBothSteps, DEFAULT_LAB } from './helpers';

test.describe('cancel a running step', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('Cancel stops a slow probe, says what to do next, and clean-up restores the lab', async ({ page, app }) => {
    test.setTimeout(120_000);
    await app.open(page);
    const before = await app.labState();
    await page.getByRole('button', { name: "Fill in the practice lab's machines" }).click();
    await page.getByLabel('Profile name').fill('Slow probe');
    await page.getByLabel('Command to run on the target').fill('Start-Sleep -Seconds 60; hostname');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await page.getByRole('button', { name: 'Continue to the check' }).click();
    await expect(page.getByTestId('status-check')).toContainText('Check complete', { timeout: 30_000 });
    await configureBothSteps(page);
    await page.getByRole('button', { name: 'Run the test' }).click();

    const cancel = page.getByRole('button', { name: 'Cancel' });
    await expect(cancel).toBeVisible();
    const started = Date.now();
    await cancel.click();
    await expect(page.getByTestId('status-test')).toContainText('Stopped. Anything already changed is in the journal', { timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    await expect(page.getByRole('alert')).toContainText('cancelled');

    await page.getByRole('button', { name: 'Clean up now' }).click();
    await expect(page.getByRole('status').filter({ hasText: /back as it was/i }).first()).toBeVisible({ timeout: 30_000 });
    expect(await app.labState()).toEqual(before);
  });
});
