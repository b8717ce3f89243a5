// The managed workstation in the wizard's practice flow (issue #11): practice mode offers the second
// shipped lab; the profile reaches the jump server by its DNS name; CredHop starts the stopped WinRM
// service for the client step and the restore puts everything back, the service's status and start type
// (Stopped, Manual) included, through the real main-side handlers and real pwsh.
import { z } from 'zod';
import { test, expect } from './harness';
import type { AppHarness } from './harness';
import { DEFAULT_LAB, createPracticeProfile, expectAccessible, runCheck, screenshots, stepHeading } from './helpers';

const hostView = z.object({ clientCredSSP: z.unknown(), serviceCredSSP: z.unknown(), registry: z.unknown(), registryPol: z.unknown(), winrm: z.unknown(), winrmStartType: z.unknown(), trustedHosts: z.unknown() }).passthrough();
const stateView = z.object({ client: z.string().optional(), hosts: z.record(z.string(), hostView) }).passthrough();

/** Every host's flags, registry, local GPO records, WinRM service and TrustedHosts: what restore must return to. */
async function machines(app: AppHarness): Promise<Record<string, unknown>> {
  const view = await app.services.engine()!.lab('Get-CredHopLabState', {}, stateView);
  const out: Record<string, unknown> = {};
  for (const [name, h] of Object.entries(view.hosts)) {
    out[name] = { clientCredSSP: h.clientCredSSP, serviceCredSSP: h.serviceCredSSP, registry: h.registry, registryPol: h.registryPol, winrm: h.winrm, winrmStartType: h.winrmStartType, trustedHosts: h.trustedHosts };
  }
  return out;
}

test.describe('the managed workstation in practice mode', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('offered on the profile step; the flow by DNS name starts WinRM and restores it to Stopped (Manual)', async ({ page, app }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);

    // Practice mode offers both shipped labs; the article's is in use (and has run: its state exists).
    expect(Object.keys(await machines(app)).sort()).toEqual(['adfs1', 'dc1', 'mem2']);
    const labs = page.getByRole('group', { name: 'Practice lab' });
    await expect(labs.getByRole('radio', { name: /The article's lab/ })).toBeChecked();
    await labs.getByRole('radio', { name: /The managed workstation/ }).check();
    await expect(labs.getByRole('radio', { name: /The managed workstation/ })).toBeChecked();
    await expect.poll(() => app.services.settings.get().practiceLabFile).toMatch(/managed-workstation\.json$/);
    await expect(labs.getByRole('radio', { name: /The managed workstation/ })).toBeEnabled(); // the switch finished
    const before = await machines(app);
    expect(before).toHaveProperty('ws1');
    expect(before.ws1).toMatchObject({ winrm: false, winrmStartType: 'Manual', trustedHosts: '' });
    await expectAccessible(page, 'profile (managed workstation chosen)');
    await screenshots(page, 'managed-1-profile');

    await createPracticeProfile(page, 'Managed: adfs1 to mem2');

    // Check: the client is ws1, its WinRM service is stopped, and the plan says it will start it.
    await runCheck(page);
    await expect(stepHeading(page, /Check both machines/)).toBeFocused();
    const client = page.getByRole('table', { name: /This computer \(ws1\)/ });
    await expect(client.getByRole('row', { name: /WinRM service on this computer \(status/ })).toContainText('Stopped (Manual)');
    await expect(client.getByRole('row', { name: /Delegate fresh credentials \(effective policy\)/ })).toContainText('wsman/legacy-jump.company.pri');
    await expect(page.getByTestId('plan-summary')).toContainText('delegation to wsman/adfs1.company.pri only');
    await expect(page.getByTestId('plan-summary')).toContainText(/wsman\/legacy-jump\.company\.pri/); // the script's entry: named as a risk, left alone
    await expect(page.getByTestId('blockers')).toHaveCount(0);
    await screenshots(page, 'managed-2-check');

    // Client: the service is started first, then the flag and the delegation entry.
    await page.getByRole('button', { name: 'Continue to configure the client' }).click();
    await expect(stepHeading(page, /Configure this computer/)).toBeFocused();
    await expect(page.getByText(/Start the WinRM service on this computer \(it is stopped/)).toBeVisible();
    await page.getByRole('button', { name: 'Apply to this computer' }).click();
    const clientAfter = page.getByTestId('after-state-client');
    await expect(clientAfter).toContainText('Done and verified', { timeout: 60_000 });
    await expect(clientAfter.getByRole('row', { name: /WinRM service on this computer \(status/ })).toContainText('Running (Manual)');
    await expectAccessible(page, 'client (after, managed workstation)');

    // Server and test.
    await page.getByRole('button', { name: 'Continue to configure the server' }).click();
    await page.getByRole('button', { name: 'Apply to adfs1.company.pri' }).click();
    await expect(page.getByTestId('after-state-server')).toContainText('Done and verified', { timeout: 60_000 });
    await page.getByRole('button', { name: 'Continue to the test' }).click();
    await page.getByRole('button', { name: 'Run the test' }).click();
    await expect(page.getByTestId('test-passed')).toContainText('The hop works with CredSSP', { timeout: 60_000 });

    // Restore: the service is stopped again and its start type is Manual, as the check found it.
    await page.getByRole('button', { name: 'Continue to restore' }).click();
    await expect(stepHeading(page, /Restore both machines/)).toBeFocused();
    await expect(page.getByTestId('still-on')).toContainText('The WinRM service runs on this computer (it is stopped again on restore)');
    await page.getByRole('button', { name: 'Restore now' }).click();
    await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.', { timeout: 60_000 });
    await expect(page.getByTestId('restore-result')).toContainText('WinRM service set back to Stopped (Manual)');
    const service = page.getByTestId('restore-client').getByRole('row', { name: /WinRM service on this computer \(status/ });
    await expect(service).toContainText('Stopped (Manual)');
    await expect(service).toContainText('Same');
    await expectAccessible(page, 'restore (done, managed workstation)');
    await screenshots(page, 'managed-6-restore-done');

    expect(await machines(app)).toEqual(before);
    expect(JSON.stringify(app.responses)).not.toContain('lab-password');
  });
});
