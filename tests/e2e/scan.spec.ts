// The Scan view: scan the practice estate (14 simulated machines), read a finding's fix, export the CSV
// and check its content; axe finds no serious violation there.
import type { Download } from '@playwright/test';
import { test, expect } from './harness';
import { expectAccessible, screenshots, stepHeading } from './helpers';
import { SCAN_CSV_HEADER } from '../../src/shared/domain/scan-export';

test.use({ mainOptions: { practice: { reset: true } } });

async function textOf(download: Download): Promise<string> {
  const chunks = await (await download.createReadStream()).toArray();
  return Buffer.concat(chunks as Buffer[]).toString('utf8');
}

test('scans the practice estate in the Scan view and exports the CSV', async ({ page, app }) => {
  test.setTimeout(300_000);
  await app.open(page);
  await expect(page.getByTestId('practice-badge')).toBeVisible();
  await page.getByRole('button', { name: 'Scan machines' }).click();
  await expect(stepHeading(page, /Scan machines/)).toBeFocused();
  // practice mode fills in the practice estate's list
  await expect(page.getByLabel(/Machines, one name a line/)).toHaveValue(/srv0001/);
  await expectAccessible(page, 'scan-empty');

  await page.getByRole('button', { name: 'Start the scan' }).click();
  await expect(page.getByTestId('scan-status')).toContainText(/machines done/);
  await expect(page.getByTestId('scan-status')).toContainText(/Done: 15 machines read/, { timeout: 240_000 });
  await expect(page.getByTestId('scan-row')).toHaveCount(15);

  // filter by a finding, open it, read its fix
  await page.getByLabel('Show').selectOption({ label: 'Wildcard delegation entry' });
  await expect(page.getByTestId('scan-row')).toHaveCount(1);
  const row = page.getByTestId('scan-row').first();
  await row.getByRole('button', { name: 'Wildcard delegation entry' }).click();
  await expect(row.getByText(/wsman\/\*\.estate\.pri .*delegate to every machine it matches/)).toBeVisible();
  await expect(row.locator('pre.ps:visible')).toContainText('Remove-ItemProperty');
  await page.getByLabel('Show').selectOption('all');
  await expectAccessible(page, 'scan-results');
  await screenshots(page, '8-scan');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const csv = await textOf(await download);
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toBe(SCAN_CSV_HEADER.map((h) => `"${h}"`).join(','));
  expect(csv).toContain('"gone001","failed","not-found"');
  expect(csv).toContain('"wildcard-entry"');
  expect(csv).toContain('"server-credssp-gpo"');
  expect(csv).toMatch(/"unreachable"/);
  expect(csv).toMatch(/"none","No finding"/); // a clean machine says so
});
