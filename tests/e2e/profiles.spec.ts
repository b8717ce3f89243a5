// Managing saved profiles on the Profile step: edit (with the conflict when it changed elsewhere),
// duplicate, rename, delete with its confirmation, forget a password, search, the store's notices,
// import (dry run, conflict choice, import) and export (never a password); and the Check step's
// wildcard opt-in with its separate confirmation. Real main-side handlers, real files, real pwsh.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page } from '@playwright/test';
import { test, expect } from './harness';
import { createPracticeProfile, DEFAULT_LAB, expectAccessible, runCheck, screenshots } from './helpers';

const PRACTICE_NAME = 'Practice: adfs1 to mem2';

async function textOf(download: Download): Promise<string> {
  const chunks = await (await download.createReadStream()).toArray();
  return Buffer.concat(chunks).toString('utf8');
}

const radio = (page: Page, name: string) => page.getByRole('radio', { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });

function storedProfile(name: string, jump: string, target: string, notes = '') {
  const at = '2025-01-02T03:04:05.000Z';
  return { id: randomUUID(), name, jumpServer: jump, jumpServerConnectAs: jump, target, jumpAccount: 'CONTOSO\\helpdesk', targetAccount: null, probeCommand: 'hostname', timeBoxMinutes: 60, notes, createdAt: at, updatedAt: at };
}

test.describe('managing profiles', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('edit, save and choose again; a change made elsewhere is refused; duplicate; rename', async ({ page, app }) => {
    test.setTimeout(90_000);
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);
    await createPracticeProfile(page);

    // Edit: the same form, filled in with the saved profile.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByTestId('edit-form');
    await expect(form.getByRole('heading', { name: `Edit "${PRACTICE_NAME}"` })).toBeVisible();
    await expect(form.getByLabel('Profile name')).toHaveValue(PRACTICE_NAME);
    await expect(form.getByLabel('Jump server', { exact: true })).toHaveValue('adfs1.company.pri');
    await expectAccessible(page, 'profile (edit)');
    await screenshots(page, '8-profile-edit');
    await form.getByLabel('Target', { exact: true }).fill('dc1.company.pri');
    await form.getByLabel('Command to run on the target').fill('Get-Date');
    await form.getByRole('button', { name: 'Save the changes' }).click();
    await expect(page.getByTestId('status-profile')).toContainText(`Saved the changes to "${PRACTICE_NAME}".`);
    await expect(form).toHaveCount(0);
    await expect(radio(page, PRACTICE_NAME)).toBeChecked();
    await expect(page.getByTestId('profile-list')).toContainText('adfs1.company.pri → dc1.company.pri');
    // The account did not change, so the password stays.
    await expect(page.getByTestId('password-panel')).toContainText('Kept for this run');

    // Duplicate, with a name of the operator's choosing; the copy is chosen.
    await page.getByRole('button', { name: 'Duplicate' }).click();
    const dup = page.getByTestId('duplicate-form');
    await expect(dup.getByLabel('Name of the copy')).toHaveValue(`${PRACTICE_NAME} (copy)`);
    await dup.getByLabel('Name of the copy').fill(PRACTICE_NAME.toUpperCase());
    await expect(dup.getByText(`A profile named "${PRACTICE_NAME.toUpperCase()}" already exists.`)).toBeVisible();
    await dup.getByLabel('Name of the copy').fill('Second practice');
    await expectAccessible(page, 'profile (duplicate)');
    await screenshots(page, '8-profile-duplicate');
    await dup.getByRole('button', { name: 'Save the copy' }).click();
    await expect(radio(page, 'Second practice')).toBeChecked();
    await expect(page.getByTestId('status-profile')).toContainText('Saved the copy "Second practice".');
    await expect(page.getByTestId('profile-list').getByRole('radio')).toHaveCount(2);

    // Choose the edited one again: the form shows what was saved.
    await radio(page, PRACTICE_NAME).check();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await expect(form.getByLabel('Target', { exact: true })).toHaveValue('dc1.company.pri');
    await expect(form.getByLabel('Command to run on the target')).toHaveValue('Get-Date');

    // Someone else (the command line) changes it while the form is open: the save is refused.
    const stored = (await app.services.profiles.store.list()).find((p) => p.name === PRACTICE_NAME)!;
    await app.services.profiles.store.update(stored.id, { ...stored, target: 'mem2.company.pri', probeCommand: 'whoami' });
    await form.getByLabel('Command to run on the target').fill('hostname');
    await form.getByRole('button', { name: 'Save the changes' }).click();
    await expect(form.getByRole('alert')).toContainText('This profile was changed elsewhere');
    await expect(form.getByRole('alert')).toContainText('Open the profile again and repeat your change.');
    await expect(page.getByTestId('edit-conflict')).toContainText('mem2.company.pri');
    await expectAccessible(page, 'profile (edit conflict)');
    await screenshots(page, '8-profile-edit-conflict');
    await page.getByRole('button', { name: /Load the saved version/ }).click();
    await expect(form.getByLabel('Command to run on the target')).toHaveValue('whoami');
    await form.getByLabel('Command to run on the target').fill('hostname');
    await form.getByRole('button', { name: 'Save the changes' }).click();
    await expect(form).toHaveCount(0);
    expect((await app.services.profiles.store.get(stored.id)).probeCommand).toBe('hostname');

    // Rename: the password stays with the profile.
    await page.getByRole('button', { name: 'Rename' }).click();
    const renameForm = page.getByTestId('rename-form');
    await expect(renameForm.getByLabel('New name')).toHaveValue(PRACTICE_NAME);
    await renameForm.getByLabel('New name').fill('Practice renamed');
    await renameForm.getByRole('button', { name: 'Rename' }).click();
    await expect(page.getByTestId('status-profile')).toContainText(`Renamed "${PRACTICE_NAME}" to "Practice renamed".`);
    await expect(radio(page, 'Practice renamed')).toBeChecked();
    await expect(radio(page, PRACTICE_NAME)).toHaveCount(0);
    await expect(page.getByTestId('password-panel')).toContainText('Kept for this run');
    expect((await app.services.profiles.store.get(stored.id)).name).toBe('Practice renamed');
  });

  test('forget a password; delete only after a confirmation that names the profile, and its passwords go too', async ({ page, app }) => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);
    await createPracticeProfile(page);
    const [profile] = await app.services.profiles.store.list();
    const panel = page.getByTestId('password-panel');

    await panel.getByRole('button', { name: 'Forget the saved password for COMPANY\\Administrator' }).click();
    // No keychain on the test machines: the copy kept for this run is forgotten, and the UI says the keychain could not be checked.
    await expect(page.getByTestId('status-profile')).toContainText('Forgot the password for COMPANY\\Administrator');
    await expect(panel).toContainText('Not set');
    await expect(panel.getByRole('button', { name: /Forget the saved password/ })).toHaveCount(0);
    expect((await app.services.profiles.vault.status({ profileId: profile!.id, role: 'jump' })).stored).toBe('none');
    await panel.getByLabel('Password for COMPANY\\Administrator').fill('lab-password');
    await panel.getByRole('button', { name: 'Keep this password' }).click();
    await expect(panel).toContainText('Kept for this run');
    expect((await app.services.profiles.vault.status({ profileId: profile!.id, role: 'jump' })).stored).toBe('session');

    // The confirmation names the profile and says the passwords go too; Keep it changes nothing.
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete "${PRACTICE_NAME}"?` });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(`This removes the profile "${PRACTICE_NAME}"`);
    await expect(dialog).toContainText('Its saved passwords are removed too');
    await expect(dialog.getByRole('button', { name: 'Keep it' })).toBeFocused();
    await expectAccessible(page, 'profile (delete confirmation)');
    await screenshots(page, '8-profile-delete');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(radio(page, PRACTICE_NAME)).toBeChecked();

    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByRole('button', { name: 'Delete the profile' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('status-profile')).toContainText(`Deleted "${PRACTICE_NAME}"`);
    await expect(radio(page, PRACTICE_NAME)).toHaveCount(0);
    await expect(page.getByTestId('password-panel')).toHaveCount(0);
    await expect(page.getByTestId('empty-home')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Continue to the check' })).toHaveCount(0);
    expect(await app.services.profiles.store.list()).toEqual([]);
    expect((await app.services.profiles.vault.status({ profileId: profile!.id, role: 'jump' })).stored).toBe('none');
  });

  test('search when there are many profiles, and say what happened to a damaged profile file', async ({ page, app }) => {
    // A profile file with seven good entries and one edited by hand into something invalid.
    const profiles = [
      storedProfile('Payroll servers', 'jump01.contoso.com', 'pay01.contoso.com', 'month-end runs'),
      storedProfile('File shares', 'jump01.contoso.com', 'fs01.contoso.com'),
      storedProfile('Print servers', 'jump02.contoso.com', 'print01.contoso.com'),
      storedProfile('SQL cluster', 'jump02.contoso.com', 'sql01.contoso.com'),
      storedProfile('Exchange', 'jump03.contoso.com', 'ex01.contoso.com'),
      storedProfile('Domain controllers', 'jump03.contoso.com', 'dc01.contoso.com'),
      storedProfile('Backup', 'jump04.contoso.com', 'bk01.contoso.com'),
      { ...storedProfile('Broken by hand', 'jump04.contoso.com', 'x'), jumpServer: 'http://jump04' },
    ];
    writeFileSync(join(app.dataDir, 'profiles.json'), JSON.stringify({ format: 'credhop.profiles', schemaVersion: 2, savedAt: '2025-01-02T03:04:05.000Z', profiles }));
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);

    const notice = page.getByTestId('store-notice');
    await expect(notice).toContainText('Some saved profiles could not be read');
    await expect(notice).toContainText('7 profiles were loaded');
    const backup = app.services.profiles.store.notices()[0]!.backupPath!;
    expect(backup).toContain(app.dataDir);
    await expect(notice.locator('code')).toHaveText(backup);
    await notice.getByText('What was wrong (1)').click();
    await expect(notice).toContainText('Broken by hand');

    const list = page.getByTestId('profile-list');
    await expect(list.getByRole('radio')).toHaveCount(7);
    await page.getByLabel('Search profiles').fill('payroll');
    await expect(list.getByRole('radio')).toHaveCount(1);
    await expect(page.getByTestId('search-count')).toHaveText('Showing 1 of 7 profiles.');
    // The search reaches the servers and the notes too.
    await page.getByLabel('Search profiles').fill('jump02');
    await expect(list.getByRole('radio')).toHaveCount(2);
    await radio(page, 'SQL cluster').check();
    await page.getByLabel('Search profiles').fill('month-end');
    await expect(list.getByRole('radio')).toHaveCount(1);
    await expect(list).toContainText('Payroll servers');
    await expect(list).toContainText('The chosen profile, "SQL cluster", is not among these results; it stays chosen.');
    await expectAccessible(page, 'profile (search and notice)');
    await screenshots(page, '8-profile-search');
    await page.getByLabel('Search profiles').fill('nothing like this');
    await expect(list).toContainText('No saved profile matches "nothing like this".');
    await page.getByLabel('Search profiles').fill('');
    await expect(list.getByRole('radio')).toHaveCount(7);

    await notice.getByRole('button', { name: 'Dismiss this message' }).click();
    await expect(notice).toHaveCount(0);
  });

  test('export never holds a password; import shows a dry run, lets the operator choose for a taken name, then imports', async ({ page, app }) => {
    test.setTimeout(90_000);
    const CANARY = 'Export-Canary-93c1!';
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);
    await createPracticeProfile(page);
    const panel = page.getByTestId('password-panel');
    await panel.getByLabel('Password for COMPANY\\Administrator').fill(CANARY);
    await panel.getByRole('button', { name: 'Keep this password' }).click();
    await expect(page.getByTestId('status-profile')).toContainText('Password kept for this run only.');

    await expect(page.getByText('Exported files never contain passwords.')).toBeVisible();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export all profiles' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^credhop-profiles-\d{4}-\d\d-\d\d\.json$/);
    const exported = await textOf(file);
    const doc = JSON.parse(exported) as { format: string; profiles: Array<Record<string, unknown>> };
    expect(doc.format).toBe('credhop.profiles-export');
    expect(doc.profiles.map((p) => p['name'])).toEqual([PRACTICE_NAME]);
    expect(exported).not.toContain(CANARY);
    expect(exported).not.toMatch(/password/i);
    await expect(page.getByTestId('status-profile')).toContainText('Exported 1 profile to');

    // A file with the same name (another target), a new profile and an entry that is not valid.
    const incoming = {
      ...doc,
      profiles: [
        { ...doc.profiles[0], target: 'dc1.company.pri' },
        { ...doc.profiles[0], name: 'Imported practice', probeCommand: 'Get-Date' },
        { ...doc.profiles[0], name: 'Not valid', jumpServer: 'http://adfs1' },
      ],
    };
    await page.getByRole('button', { name: 'Import from a file' }).click();
    const importPanel = page.getByTestId('import-panel');
    await expect(importPanel.getByRole('button', { name: 'Import', exact: true })).toBeDisabled();
    await expect(importPanel).toContainText('Choose a file first.');
    await importPanel.getByLabel('Profile file (.json)').setInputFiles({ name: 'team-profiles.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(incoming)) });
    await expect(page.getByTestId('import-summary')).toHaveText('2 profiles added, 0 replaced, 0 skipped; 1 entry cannot be imported.');
    await expect(page.getByTestId('import-preview')).toContainText(`${PRACTICE_NAME} will be added as "${PRACTICE_NAME} (2)"`);
    await expect(page.getByTestId('import-invalid')).toContainText('Entry 3 ("Not valid"): jumpServer: Type only the server name, not a URL');
    // The dry run changed nothing.
    expect((await app.services.profiles.store.list()).map((p) => p.name)).toEqual([PRACTICE_NAME]);

    const choice = page.getByRole('group', { name: `"${PRACTICE_NAME}" already exists` });
    await choice.getByRole('radio', { name: 'Skip it' }).check();
    await expect(page.getByTestId('import-summary')).toHaveText('1 profile added, 0 replaced, 1 skipped; 1 entry cannot be imported.');
    await choice.getByRole('radio', { name: 'Replace the saved profile' }).check();
    await expect(page.getByTestId('import-summary')).toHaveText('1 profile added, 1 replaced, 0 skipped; 1 entry cannot be imported.');
    await expectAccessible(page, 'profile (import dry run)');
    await screenshots(page, '8-profile-import');
    await importPanel.getByRole('button', { name: 'Import 2 profiles' }).click();
    await expect(page.getByTestId('status-profile')).toContainText('Imported team-profiles.json: 1 profile added, 1 replaced.');
    await expect(importPanel).toHaveCount(0);
    await expect(radio(page, 'Imported practice')).toBeVisible();
    await expect(page.getByTestId('profile-list')).toContainText('adfs1.company.pri → dc1.company.pri');
    const names = (await app.services.profiles.store.list()).map((p) => p.name);
    expect(names).toEqual(['Imported practice', PRACTICE_NAME]);
  });
});

test.describe('the wildcard opt-in on the Check step', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('without its own confirmation the check shows a blocker; with it the plan names the wildcard and its risk', async ({ page, app }) => {
    test.setTimeout(90_000);
    await page.setViewportSize({ width: 1280, height: 860 });
    await app.open(page);
    await createPracticeProfile(page);
    await runCheck(page);
    await expect(page.getByTestId('plan-summary')).toContainText('delegation to wsman/adfs1.company.pri only');

    await page.getByText('Delegate to a whole domain instead (wildcard)').click();
    const field = page.getByLabel('Wildcard entry');
    await expect(field).toHaveValue('wsman/*.company.pri');
    await field.fill('wsman/company.pri');
    await expect(page.getByText('A wildcard looks like wsman/*.company.pri')).toBeVisible();
    await field.fill('wsman/*.contoso.com');
    await expect(page.getByText('wsman/*.contoso.com does not cover adfs1.company.pri')).toBeVisible();
    await field.fill('wsman/*.company.pri');
    await expect(page.getByTestId('wildcard')).toContainText('every server matching *.company.pri could receive your password');

    // Not confirmed: main refuses with a blocker, shown as such.
    await page.getByRole('button', { name: 'Check again with the wildcard' }).click();
    const blockers = page.getByTestId('blockers');
    await expect(blockers.locator('[data-blocker="wildcard-unconfirmed"]')).toContainText('A wildcard entry (wsman/*.company.pri) lets this computer hand your password to every matching server.', { timeout: 30_000 });
    await expect(page.getByRole('button', { name: 'Continue to configure the client' })).toBeDisabled();
    await expect(page.getByText('Confirm the wildcard below and check again, or use the exact name again.')).toBeVisible();
    await expectAccessible(page, 'check (wildcard, not confirmed)');
    await screenshots(page, '2-check-wildcard-unconfirmed');

    // Confirmed separately: the plan uses the wildcard and lists it as a risk.
    await page.getByTestId('wildcard-confirm').check();
    await page.getByRole('button', { name: 'Check again with the wildcard' }).click();
    await expect(page.getByTestId('wildcard-active')).toContainText('wsman/*.company.pri, confirmed.', { timeout: 30_000 });
    await expect(page.getByTestId('blockers')).toHaveCount(0);
    const plan = page.getByTestId('plan-summary');
    await expect(plan).toContainText('delegation to every server matching wsman/*.company.pri');
    await expect(plan).toContainText('Wildcard delegation: this computer may send fresh credentials to every server matching wsman/*.company.pri');
    await expectAccessible(page, 'check (wildcard, confirmed)');
    await screenshots(page, '2-check-wildcard');
    await page.getByRole('button', { name: 'Continue to configure the client' }).click();
    await expect(page.getByText('wsman/*.company.pri').first()).toBeVisible();

    // Back to the exact name.
    await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name: /^Check/ }).click();
    await page.getByRole('button', { name: 'Use the exact name again' }).click();
    await expect(page.getByTestId('plan-summary')).toContainText('delegation to wsman/adfs1.company.pri only', { timeout: 30_000 });
    expect(app.services.practiceMode).toBe(true);
  });
});
