// The operator's fast path: from launch to a verified hop in at most three activations, on the default
// practice lab through the real main-side handlers; and anything unusual (a domain GPO blocker) handing
// over to the wizard step that explains it, with nothing changed.
import type { Locator } from '@playwright/test';
import { test, expect } from './harness';
import { createPracticeProfile, DEFAULT_LAB, expectAccessible, labFile, screenshots, stepHeading } from './helpers';

test.describe('express: launch to a verified hop', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('two activations check, show the plan, apply both steps, verify and test; the sidebar says truthfully what is done', async ({ page, app }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await app.open(page);
    const before = await app.labState();
    await createPracticeProfile(page);

    // Launch: a fresh main process over the same data folder (the saved profile is chosen by itself).
    await app.restart(page);
    let activations = 0;
    const activate = async (target: Locator, how: 'click' | 'keyboard' = 'click') => {
      activations += 1;
      if (how === 'keyboard') {
        await target.focus();
        await page.keyboard.press('Enter');
      } else await target.click();
    };

    const express = page.getByTestId('express');
    await expect(express.getByRole('heading', { name: 'Express: check, apply and test in one go' })).toBeVisible();
    await expectAccessible(page, 'profile (express)');
    await activate(express.getByRole('button', { name: 'Check both machines' }));

    const review = page.getByTestId('express-review');
    await expect(review).toHaveText('The plan: 3 changes, then the test', { timeout: 60_000 });
    await expect(review).toBeFocused();
    await expect(express).toContainText('Allow this computer to delegate fresh credentials to wsman/adfs1.company.pri');
    await expect(express).toContainText('Turn on CredSSP in the WinRM service of adfs1.company.pri');
    await expect(express).toContainText('CredSSP hands your password to the jump server');
    await expect(express).toContainText('Blockers: none.');
    await expectAccessible(page, 'express (plan)');
    await screenshots(page, '0-express-plan');

    // The one confirmation, from the keyboard.
    await activate(express.getByRole('button', { name: 'Apply both steps and test the hop' }), 'keyboard');
    const done = page.getByTestId('express-done');
    await expect(done).toBeVisible({ timeout: 90_000 });
    await expect(page.getByRole('heading', { name: /The hop works/ })).toBeFocused();
    await expect(page.getByTestId('express-output')).toContainText(/mem2/i);
    expect(activations).toBeLessThanOrEqual(3);
    expect(activations).toBe(2);

    // The sidebar: every step the express path did is marked done (and Restore is not).
    const nav = page.getByRole('navigation', { name: 'Wizard steps' });
    for (const step of ['Check', 'Configure the client', 'Configure the server', 'Test the hop']) {
      await expect(nav.getByRole('button', { name: new RegExp(`^\\d?\\s*${step}.*\\(done\\)`) })).toBeVisible();
    }
    await expect(nav.getByRole('button', { name: /Restore.*\(done\)/ })).toHaveCount(0);
    await expect(page.getByTestId('credssp-on')).toContainText('Restores in');
    await expectAccessible(page, 'express (done)');
    await screenshots(page, '0-express-done');

    await page.getByRole('button', { name: 'Open a session on the jump server' }).click();
    await expect(page.getByTestId('express-console')).toContainText('Practice mode');

    await page.getByTestId('express').getByRole('button', { name: 'Restore', exact: true }).click();
    await expect(stepHeading(page, /Restore both machines/)).toBeVisible();
    await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.', { timeout: 60_000 });
    expect(await app.labState()).toEqual(before);
  });
});

test.describe('express: a blocker hands over to the Check step', () => {
  test.use({ mainOptions: { practice: { labFile: labFile('express-gpo-service-off', { adfs1: { domainPolicy: { winrmServiceAllowCredSSP: 0 } } }), reset: true } } });

  test('the check finds a domain GPO blocker: express stops, says why and that nothing changed, on the Check step', async ({ page, app }) => {
    test.setTimeout(120_000);
    await app.open(page);
    const before = await app.labState();
    await createPracticeProfile(page);
    await page.getByTestId('express').getByRole('button', { name: 'Check both machines' }).click();

    await expect(stepHeading(page, /Check both machines/)).toBeFocused({ timeout: 60_000 });
    const note = page.getByTestId('handover');
    await expect(note).toContainText('Express stopped: A Group Policy controls CredSSP in the WinRM service of adfs1.company.pri');
    await expect(note).toContainText('Nothing was changed');
    await expect(page.getByTestId('blockers').locator('[data-blocker="server-winrm-policy"]')).toContainText('How to resolve:');
    await expectAccessible(page, 'check (express handover)');
    await screenshots(page, '0-express-handover');
    expect(await app.labState()).toEqual(before);
  });
});
