// The article's first reader comment in the wizard (issue #23): a profile with ADFS1\Administrator for the
// jump server and MEM2\Administrator for the target, each a local account with its own password. Express
// stops and hands over (a local account needs TrustedHosts and the NTLM-only list, which it may not confirm);
// the check explains NTLM before the plan; the hop reaches mem2 as MEM2\Administrator with CredSSP and with
// explicit credentials; Clean up puts every machine back. Real main-side handlers, real pwsh, the lab.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect } from './harness';
import { configureBothSteps, expectAccessible, runCheck, screenshots, stepHeading } from './helpers';

const JUMP_PW = 'adfs1-local-e2e';
const TARGET_PW = 'mem2-local-e2e';

/** The shipped practice lab with a password for each local Administrator (so a mix-up would be refused). */
function localLabFile(): string {
  const lab = JSON.parse(readFileSync(resolve('tests/lab/local-accounts.json'), 'utf8')) as { hosts: { name: string; localAccounts?: { password?: string }[] }[] };
  for (const h of lab.hosts) {
    if (h.name === 'adfs1') h.localAccounts![0]!.password = JUMP_PW;
    if (h.name === 'mem2') h.localAccounts![0]!.password = TARGET_PW;
  }
  const dir = join(tmpdir(), 'credhop-e2e-labs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `local-accounts-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(lab, null, 2));
  return file;
}

test.describe('a local administrator on each machine', () => {
  test.use({ mainOptions: { practice: { labFile: localLabFile(), reset: true } } });

  test('express hands over; the check explains NTLM; CredSSP and explicit credentials both reach MEM2\\Administrator; clean-up restores all', async ({ page, app }) => {
    test.setTimeout(300_000);
    await app.open(page);
    const before = await app.labState();

    await page.getByLabel('Profile name').fill('Comment: local admins');
    await page.getByLabel('Jump server', { exact: true }).fill('adfs1.company.pri');
    await page.getByLabel('Target', { exact: true }).fill('mem2.company.pri');
    await page.getByLabel('Account', { exact: true }).fill('ADFS1\\Administrator');
    await expect(page.getByLabel('Account', { exact: true })).toHaveAccessibleDescription(/ADFS1\\Administrator is a local account of adfs1\.company\.pri: Windows signs it in with NTLM/);
    await page.getByLabel('Different account for the target').fill('MEM2\\Administrator');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await expect(page.getByRole('radio', { name: /Comment: local admins/ })).toBeChecked();
    for (const [account, pw] of [['ADFS1\\Administrator', JUMP_PW], ['MEM2\\Administrator', TARGET_PW]] as const) {
      await page.getByLabel(`Password for ${account}`).fill(pw);
      await page.locator('.password-row').filter({ has: page.getByLabel(`Password for ${account}`) }).getByRole('button', { name: 'Keep this password' }).click({ timeout: 10_000 });
    }
    await expect(page.getByTestId('password-panel').getByText('Kept for this run')).toHaveCount(2);

    // Express: the check needs a confirmation express may not give, so it stops on the Check step.
    await page.getByTestId('express').getByRole('button', { name: 'Check both machines' }).click();
    await expect(stepHeading(page, /Check both machines/)).toBeFocused({ timeout: 60_000 });
    await expect(page.getByTestId('handover')).toContainText('Nothing was changed');
    expect(await app.labState()).toEqual(before);

    // The check explains the local account before any plan, and offers exactly adfs1 in TrustedHosts.
    await expect(page.getByTestId('diagnosis')).toHaveAttribute('data-diagnosis-id', 'trusted-hosts');
    await expect(page.getByTestId('trust-fix')).toContainText('ADFS1\\Administrator is a local account, which Kerberos cannot sign in');
    await page.getByLabel(/I understand the risk: add adfs1\.company\.pri to TrustedHosts/).check();
    await expectAccessible(page, 'check (local account: TrustedHosts)');
    await page.getByRole('button', { name: 'Add it and check again' }).click();
    const summary = page.getByTestId('plan-summary');
    await expect(summary).toContainText('Kerberos cannot sign in a local account', { timeout: 60_000 });
    await expect(summary).toContainText("adfs1.company.pri's own TrustedHosts must list mem2.company.pri");
    await screenshots(page, 'local-accounts-check');

    await configureBothSteps(page, 'adfs1.company.pri', () => expect(page.getByText(/even when the server is authenticated by NTLM only/)).toBeVisible());

    // Both ways: the target reports its own local Administrator.
    await page.getByRole('button', { name: 'Run the test' }).click();
    await expect(page.getByTestId('test-passed')).toContainText('The hop works with CredSSP', { timeout: 60_000 });
    await expect(page.getByTestId('test-output')).toContainText('mem2\\administrator');
    await page.getByTestId('alternative').getByRole('button', { name: 'Test with explicit credentials' }).click();
    await expect(page.getByTestId('test-passed')).toContainText('The hop works with explicit credentials', { timeout: 60_000 });
    await expect(page.getByTestId('test-output')).toContainText('mem2\\administrator');
    await expectAccessible(page, 'test (local accounts)');

    await page.getByRole('button', { name: 'Clean up now' }).click();
    await expect(page.getByTestId('cleanup-notice')).toContainText('Cleaned up: everything is back as it was.', { timeout: 60_000 });
    expect(await app.labState()).toEqual(before);
    const answers = JSON.stringify(app.responses);
    expect(answers).not.toContain(JUMP_PW);
    expect(answers).not.toContain(TARGET_PW);
  });
});
