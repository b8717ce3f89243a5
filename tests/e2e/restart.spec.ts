// A restart with unrestored changes in the journal: the banner says what they are; one click restores.
import { test, expect } from './harness';
import { createPracticeProfile, DEFAULT_LAB, expectAccessible, runCheck, screenshots } from './helpers';

test.describe('restart with an unrestored journal', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('shows the banner with the changes, and one click restores them', async ({ page, app }) => {
    test.setTimeout(120_000);
    await app.open(page);
    const before = await app.labState();
    await createPracticeProfile(page);
    await runCheck(page);
    await page.getByRole('button', { name: 'Continue to configure the client' }).click();
    await page.getByRole('button', { name: 'Apply to this computer' }).click();
    await expect(page.getByTestId('after-state-client')).toContainText('Done and verified');
    expect(await app.labState()).not.toEqual(before);

    // CredHop goes away without restoring (a crash), and starts again over the same data folder.
    await app.restart(page);
    const banner = page.getByTestId('unrestored-banner');
    await expect(banner).toContainText('CredHop found changes that are not restored yet');
    await expect(banner).toContainText('Practice: adfs1 to mem2');
    await expect(banner).toContainText('This computer may delegate fresh credentials to wsman/adfs1.company.pri');
    await expect(banner).toContainText("CredSSP on in this computer's WinRM client");
    await expectAccessible(page, 'start banner');
    await screenshots(page, '0-start-banner');

    await banner.getByRole('button', { name: 'Restore them now' }).click();
    await expect(page.getByTestId('cleanup-notice')).toContainText('Cleaned up: everything is back as it was.', { timeout: 60_000 });
    await expect(banner).toHaveCount(0);
    expect(await app.labState()).toEqual(before);
  });
});
