// Failures the engine diagnoses, shown with their cause and fix, and the one-click fix where it applies.
import { test, expect } from './harness';
import { resolve } from 'node:path';
import { configureBothSteps, createPracticeProfile, DEFAULT_LAB, expectAccessible, labFile, runCheck, screenshots, stepHeading } from './helpers';

test.describe('test first: the diagnosis ladder with one-click fixes', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('E5, then E2, then E4 are named and fixed in one click each; restore puts the lab back', async ({ page, app }) => {
    test.setTimeout(120_000);
    await app.open(page);
    const before = await app.labState();
    await createPracticeProfile(page);
    await runCheck(page);
    // Skip the configure steps: test straight away, as an operator might.
    await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /^Test the hop/ }).click();
    await expect(stepHeading(page, /Test the hop/)).toBeFocused();
    await page.getByRole('button', { name: 'Run the test' }).click();

    const diagnosis = page.getByTestId('diagnosis');
    await expect(diagnosis).toHaveAttribute('data-diagnosis-id', 'E5');
    await expect(page.getByTestId('diagnosis-cause')).toHaveText("CredSSP is off in this computer's WinRM client");
    await expect(page.getByTestId('diagnosis-fix')).toContainText('Turn on CredSSP in the WinRM client');
    await expectAccessible(page, 'test (diagnosis)');
    await screenshots(page, '5-test-diagnosis');

    await page.getByRole('button', { name: 'Apply the fix and test again' }).click();
    await expect(diagnosis).toHaveAttribute('data-diagnosis-id', 'E2', { timeout: 30_000 });
    // The sidebar tells the truth: one of the client's two changes is in place, so it is not done yet.
    const nav = page.getByRole('navigation', { name: 'Wizard steps' });
    await expect(nav.getByRole('button', { name: /Configure the client.*\(done\)/ })).toHaveCount(0);
    await expect(page.getByTestId('diagnosis-cause')).toHaveText('This computer may not delegate credentials to wsman/adfs1.company.pri');

    await page.getByRole('button', { name: 'Apply the fix and test again' }).click();
    await expect(diagnosis).toHaveAttribute('data-diagnosis-id', 'E4', { timeout: 30_000 });
    await expect(page.getByTestId('diagnosis-cause')).toHaveText('adfs1.company.pri does not accept CredSSP');

    await page.getByRole('button', { name: 'Apply the fix and test again' }).click();
    await expect(page.getByTestId('test-passed')).toContainText('The hop works with CredSSP', { timeout: 30_000 });
    // Every change the fixes made is in place: both configure steps are marked done.
    for (const step of ['Configure the client', 'Configure the server']) {
      await expect(nav.getByRole('button', { name: new RegExp(`${step}.*\\(done\\)`) })).toBeVisible();
    }

    await page.getByRole('button', { name: 'Continue to restore' }).click();
    await page.getByRole('button', { name: 'Restore now' }).click();
    await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.');
    expect(await app.labState()).toEqual(before);
  });
});

test.describe('the jump server\'s CredSSP flag is forced off by a domain GPO', () => {
  test.use({ mainOptions: { practice: { labFile: labFile('gpo-service-off', { adfs1: { domainPolicy: { winrmServiceAllowCredSSP: 0 } } }), reset: true } } });

  test('the check names the blocker and how to resolve it, nothing is applied, and the no-configuration alternative works', async ({ page, app }) => {
    test.setTimeout(90_000);
    await app.open(page);
    const before = await app.labState();
    await createPracticeProfile(page);
    await runCheck(page);
    const blocker = page.getByTestId('blockers').locator('[data-blocker="server-winrm-policy"]');
    await expect(blocker).toContainText('A Group Policy controls CredSSP in the WinRM service of adfs1.company.pri');
    await expect(blocker).toContainText('How to resolve: Ask a domain administrator to set');
    await expect(page.getByRole('table', { name: /Jump server/ })).toContainText('Set by Group Policy (disabled)');
    await expectAccessible(page, 'check (blocked)');
    await screenshots(page, '2-check-blocked');

    // The configure step says why it cannot apply.
    await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /^Configure the client/ }).click();
    await expect(page.getByRole('button', { name: 'Apply to this computer' })).toBeDisabled();
    await expect(page.getByText('The check found blockers: see the Check step for how to resolve them.')).toBeVisible();

    await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /^Check/ }).click();
    await page.getByRole('button', { name: 'Try the no-configuration alternative' }).click();
    await expect(stepHeading(page, /Test the hop/)).toBeFocused();
    const alternative = page.getByTestId('alternative');
    await expect(alternative).toContainText('without any configuration');
    await alternative.getByText('Show PowerShell').click();
    await expect(alternative.locator('pre')).toContainText('-Credential $using:jumpCred');
    await alternative.getByRole('button', { name: 'Test with explicit credentials' }).click();
    await expect(page.getByTestId('test-passed')).toContainText('explicit credentials', { timeout: 30_000 });
    await screenshots(page, '5-test-alternative');
    expect(await app.labState()).toEqual(before);
  });
});

test.describe('the jump server has no WSMAN SPN (NTLM only)', () => {
  // Without a WSMAN SPN, WinRM also needs the name in TrustedHosts (the lab models that); an administrator
  // has put it there, so what remains is E3, the NTLM-only delegation.
  test.use({ mainOptions: { practice: { labFile: labFile('no-spn', { dc1: { trustedHosts: 'adfs1.company.pri' }, adfs1: { spn: false } }), reset: true } } });

  test('E3 asks to confirm its warning before the one-click fix, which then works', async ({ page, app }) => {
    test.setTimeout(120_000);
    await app.open(page);
    const before = await app.labState();
    await createPracticeProfile(page);
    await runCheck(page);
    await page.getByRole('button', { name: 'Continue to configure the client' }).click();
    await page.getByRole('button', { name: 'Apply to this computer' }).click();
    await expect(page.getByTestId('after-state-client')).toContainText('Done and verified');
    await page.getByRole('button', { name: 'Continue to configure the server' }).click();
    await page.getByRole('button', { name: 'Apply to adfs1.company.pri' }).click();
    await expect(page.getByTestId('after-state-server')).toContainText('Done and verified');
    await page.getByRole('button', { name: 'Continue to the test' }).click();
    await page.getByRole('button', { name: 'Run the test' }).click();
    await expect(page.getByTestId('diagnosis')).toHaveAttribute('data-diagnosis-id', 'E3');
    const fix = page.getByRole('button', { name: 'Apply the fix and test again' });
    await expect(fix).toBeDisabled();
    await expect(page.getByText('Confirm the warning above first.')).toBeVisible();
    await page.getByLabel('I understand the risk and want CredHop to apply this fix').check();
    await fix.click();
    await expect(page.getByTestId('test-passed')).toBeVisible({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Clean up now' }).click();
    await expect(page.getByTestId('cleanup-notice')).toContainText('Cleaned up: everything is back as it was.');
    expect(await app.labState()).toEqual(before);
  });
});

test.describe('the jump server by address (the managed workstation)', () => {
  // By address, CredHop's own connection needs the address in TrustedHosts before the check can read
  // the server: the check offers it as a warned fix; the plan then uses the NTLM-only list.
  test.use({ mainOptions: { practice: { labFile: resolve('tests/lab/managed-workstation.json'), reset: true } } });

  test('the check offers TrustedHosts under its warning, the plan follows, the hop works, clean-up restores all', async ({ page, app }) => {
    test.setTimeout(300_000);
    await app.open(page);
    const before = await app.labState();
    await page.getByRole('button', { name: "Fill in the practice lab's machines" }).click();
    await page.getByLabel('Profile name').fill('adfs1 by address');
    await page.getByLabel('Jump server', { exact: true }).fill('192.168.10.11');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await page.getByLabel('Password for COMPANY\\Administrator').fill('lab-password');
    await page.getByRole('button', { name: 'Keep this password' }).click();
    await runCheck(page);
    await expect(page.getByTestId('diagnosis')).toHaveAttribute('data-diagnosis-id', 'trusted-hosts');
    await expect(page.getByTestId('trust-fix')).toContainText('TrustedHosts');
    const add = page.getByRole('button', { name: 'Add it and check again' });
    await expect(add).toBeDisabled();
    await page.getByLabel(/I understand the risk: add 192\.168\.10\.11 to TrustedHosts/).check();
    await expectAccessible(page, 'check (trusted-hosts fix)');
    await add.click();
    await expect(page.getByTestId('plan-summary')).toContainText('wsman/192.168.10.11', { timeout: 60_000 });
    await configureBothSteps(page, '192.168.10.11');
    await page.getByRole('button', { name: 'Run the test' }).click();
    await expect(page.getByTestId('test-passed')).toBeVisible({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Clean up now' }).click();
    await expect(page.getByTestId('cleanup-notice')).toContainText('Cleaned up: everything is back as it was.', { timeout: 60_000 });
    expect(await app.labState()).toEqual(before);
  });
});

test.describe('profile validation', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('a malformed address is refused in the form, with the reason (a valid IPv4 address is a jump server)', async ({ page, app }) => {
    await app.open(page);
    await page.getByLabel('Jump server', { exact: true }).fill('192.168.3.256');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    const field = page.getByLabel('Jump server', { exact: true });
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(/not a valid IPv4 address/);
    await expect(page.getByLabel('Profile name')).toBeFocused(); // the first invalid field
    await screenshots(page, '1-profile-invalid');
  });
});
