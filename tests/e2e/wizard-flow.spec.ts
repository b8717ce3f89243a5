// The article's scenario from profile to restored, in practice mode on the lab, through the real
// main-side handlers and real pwsh: every step screenshotted in both themes and checked with axe-core.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './harness';
import { DEFAULT_LAB, expectAccessible, screenshots, stepHeading } from './helpers';

// A password nobody else uses, so finding it anywhere is a leak.
const CANARY = 'Wizard-Canary-5b1f\'$(x)`;';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

test.describe('the wizard, article scenario', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('from profile to restored: the lab ends exactly as it started', async ({ page, app }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);
    const before = await app.labState();

    // 1. Profile
    await expect(page.getByTestId('practice-badge')).toContainText('Practice mode');
    await expect(page.getByTestId('powershell-report')).toContainText(/PowerShell 7\.\d+\.\d+ is ready/);
    // No profile yet: the home explains what a profile is; nothing offers to continue.
    await expect(page.getByTestId('empty-home')).toContainText('No profile yet');
    await expect(page.getByRole('button', { name: 'Continue to the check' })).toHaveCount(0);
    await page.getByRole('button', { name: "Fill in the practice lab's machines" }).click();
    await expect(page.getByLabel('Jump server', { exact: true })).toHaveValue('adfs1.company.pri');
    await expectAccessible(page, 'profile (new profile form)');
    await screenshots(page, '1-profile-new');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await expect(page.getByRole('radio', { name: /Practice: adfs1 to mem2/ })).toBeChecked();
    await expect(page.getByTestId('password-panel')).toContainText("practice mode uses the lab's password");
    // No keychain on the test machines: the password is kept for this run only (it never comes back).
    await page.getByLabel('Password for COMPANY\\Administrator').fill(CANARY);
    await page.getByRole('button', { name: 'Keep this password' }).click();
    await expect(page.getByTestId('password-panel')).toContainText('Kept for this run');
    await expect(page.getByLabel('Password for COMPANY\\Administrator')).toHaveValue('');
    await expectAccessible(page, 'profile');
    await screenshots(page, '1-profile');

    // 2. Check
    await page.getByRole('button', { name: 'Continue to the check' }).click();
    await expect(stepHeading(page, /Check both machines/)).toBeFocused();
    await expect(page.getByTestId('credssp-view')).toContainText('The machine is not configured to allow delegating fresh credentials.');
    await expect(page.getByRole('table', { name: /This computer \(dc1\)/ })).toContainText('WinRM client accepts CredSSP');
    await expect(page.getByRole('table', { name: /Jump server \(adfs1\.company\.pri\)/ })).toContainText('Off');
    await expect(page.getByTestId('plan-summary')).toContainText('delegation to wsman/adfs1.company.pri only');
    await expect(page.getByTestId('status-check')).toContainText('Check complete.');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export as script (.ps1)' }).click();
    const runbook = await download;
    expect(runbook.suggestedFilename()).toMatch(/^CredHop-.*\.ps1$/);
    const text = await (await runbook.createReadStream()).toArray();
    expect(Buffer.concat(text).toString('utf8')).toContain('#Requires -RunAsAdministrator');
    await expectAccessible(page, 'check');
    await screenshots(page, '2-check');

    // 3. Configure the client
    await page.getByRole('button', { name: 'Continue to configure the client' }).click();
    await expect(stepHeading(page, /Configure this computer/)).toBeFocused();
    await expect(page.getByText('Allow this computer to delegate fresh credentials to wsman/adfs1.company.pri')).toBeVisible();
    await page.getByText('Show PowerShell').first().click();
    await expect(page.locator('details.ps[open] pre').first()).toContainText('AllowFreshCredentials');
    await expectAccessible(page, 'client (plan)');
    await screenshots(page, '3-client-plan');
    await page.getByRole('button', { name: 'Apply to this computer' }).click();
    const clientAfter = page.getByTestId('after-state-client');
    await expect(clientAfter).toContainText('Done and verified');
    await expect(clientAfter.getByRole('row', { name: /WinRM client accepts CredSSP/ })).toContainText('Changed');
    await expect(page.getByTestId('credssp-on')).toContainText('Restores in');
    // The safety net the step armed is shown with it: which machine, and that it works without CredHop.
    await expect(page.getByTestId('safety-net-client')).toContainText('Scheduled restore armed on dc1');
    await expect(page.getByTestId('safety-net-client')).toContainText('even if CredHop is closed');
    await expectAccessible(page, 'client (after)');
    await screenshots(page, '3-client-after');

    // 4. Configure the server
    await page.getByRole('button', { name: 'Continue to configure the server' }).click();
    await expect(stepHeading(page, /Configure the jump server/)).toBeFocused();
    await expectAccessible(page, 'server (plan)');
    await screenshots(page, '4-server-plan');
    await page.getByRole('button', { name: 'Apply to adfs1.company.pri' }).click();
    await expect(page.getByTestId('after-state-server')).toContainText('Done and verified');
    await expect(page.getByTestId('safety-net-server')).toContainText('Scheduled restore armed on adfs1.company.pri');
    await expectAccessible(page, 'server (after)');
    await screenshots(page, '4-server-after');

    // 5. Test the hop, then open a session (practice: the command to copy, and why)
    await page.getByRole('button', { name: 'Continue to the test' }).click();
    await expect(stepHeading(page, /Test the hop/)).toBeFocused();
    await page.getByRole('button', { name: 'Run the test' }).click();
    await expect(page.getByTestId('test-passed')).toContainText('The hop works with CredSSP');
    await expect(page.getByTestId('test-output')).toContainText(/mem2/i);
    await page.getByRole('button', { name: 'Open a session on adfs1.company.pri' }).click();
    const consoleResult = page.getByTestId('console-result');
    await expect(consoleResult).toContainText('Practice mode');
    await expect(page.getByLabel('Command')).toHaveValue(
      "Enter-PSSession -ComputerName 'adfs1.company.pri' -Credential (Get-Credential -UserName 'COMPANY\\Administrator' -Message 'CredHop: password for COMPANY\\Administrator (CredSSP session on adfs1.company.pri)') -Authentication CredSSP",
    );
    await expectAccessible(page, 'test');
    await screenshots(page, '5-test');

    // 6. Restore
    await page.getByRole('button', { name: 'Continue to restore' }).click();
    await expect(stepHeading(page, /Restore both machines/)).toBeFocused();
    await expect(page.getByTestId('still-on')).toContainText("CredSSP on in this computer's WinRM client");
    await page.getByRole('button', { name: 'Keep it on until the time box ends' }).click();
    await expect(page.getByTestId('kept-on')).toBeVisible();
    await expect(page.getByTestId('still-on').getByTestId('countdown')).toContainText(/CredHop restores automatically in \d+:\d\d/);
    await expectAccessible(page, 'restore (kept on)');
    await screenshots(page, '6-restore-kept-on');
    await page.getByRole('button', { name: 'Restore now' }).click();
    await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.');
    await expect(page.getByTestId('restore-client').getByRole('row', { name: /WinRM client accepts CredSSP/ })).toContainText('Same');
    await expect(page.getByTestId('credssp-on')).toHaveCount(0);
    await expectAccessible(page, 'restore (done)');
    await screenshots(page, '6-restore-done');

    const auditDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export the audit log' }).click();
    expect((await auditDownload).suggestedFilename()).toMatch(/^CredHop-audit-.*\.jsonl$/);

    expect(await app.labState()).toEqual(before);
    // No password ever crossed the bridge (the practice password included).
    expect(JSON.stringify(app.responses)).not.toContain('practice-only-password');
    // The secrets sweep: the canary password typed into the form appears in no IPC response, no file
    // the app wrote (profiles, journal, audit log, diagnostic log, settings, lab state), and not in the DOM.
    expect(JSON.stringify(app.responses)).not.toContain('Wizard-Canary');
    for (const file of filesUnder(app.dataDir)) expect(readFileSync(file, 'latin1').includes('Wizard-Canary'), file).toBe(false);
    expect(await page.content()).not.toContain('Wizard-Canary');
    expect(await page.evaluate(() => [...document.querySelectorAll('input')].map((i) => i.value).join('|'))).not.toContain('Wizard-Canary');
  });
});
