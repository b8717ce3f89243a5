// Names of real people in the wizard (issue #11): a German and a Japanese account, typed into the
// profile form, go through check, client, server, test and restore in practice mode on real pwsh; the
// lab checks each account's password (stored there only as salted SHA-256), so a name or password
// mangled anywhere on the way fails the hop. A forbidden character is refused in the form, in plain words.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './harness';
import type { AppHarness } from './harness';
import { configureBothSteps, labFile, runCheck, stepHeading } from './helpers';

const PEOPLE = {
  jurgen: { account: 'COMPANY\\jürgen.müller', password: 'Jürgen-Canary-Pässwort-e2e1' },
  yamada: { account: 'COMPANY\\山田太郎', password: '山田-Canary-パスワード-e2e2' },
} as const;
const SALT = 'e2e-names-';
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const admins = ['COMPANY\\Administrator', ...Object.values(PEOPLE).map((p) => p.account)];
const LAB = labFile('account-names', { adfs1: { admins }, mem2: { admins } }, {
  accounts: [{ name: 'COMPANY\\Administrator' }, ...Object.values(PEOPLE).map((p) => ({ name: p.account, salt: SALT, passwordSha256: sha(SALT + p.password) }))],
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

/** A profile for the practice machines with this account, and its password kept for this run. */
async function profileFor(page: Page, name: string, person: { account: string; password: string }): Promise<void> {
  await page.getByRole('button', { name: "Fill in the practice lab's machines" }).click();
  await page.getByLabel('Profile name').fill(name);
  await page.getByLabel('Account', { exact: true }).fill(person.account);
  await page.getByRole('button', { name: 'Save the profile' }).click();
  await expect(page.getByRole('radio', { name: new RegExp(name) })).toBeChecked();
  await page.getByLabel(`Password for ${person.account}`).fill(person.password);
  await page.getByRole('button', { name: 'Keep this password' }).click();
  await expect(page.getByTestId('password-panel')).toContainText('Kept for this run');
}

/** Check, client, server, test (the probe's whoami names the account) and restore, through the wizard. */
async function wholeFlow(page: Page, app: AppHarness, person: { account: string; password: string }): Promise<void> {
  const before = await app.labState();
  await runCheck(page);
  await expect(page.getByTestId('status-check')).toContainText('Check complete.');
  await configureBothSteps(page);
  await page.getByRole('button', { name: 'Run the test' }).click();
  await expect(page.getByTestId('test-passed')).toContainText('The hop works with CredSSP', { timeout: 60_000 });
  await expect(page.getByTestId('test-output')).toContainText(person.account.toLowerCase());
  await page.getByRole('button', { name: 'Continue to restore' }).click();
  await expect(stepHeading(page, /Restore both machines/)).toBeFocused();
  await page.getByRole('button', { name: 'Restore now' }).click();
  await expect(page.getByTestId('restore-verdict')).toHaveText('Everything is back as it was.', { timeout: 60_000 });
  expect(await app.labState()).toEqual(before);
  // The password went to the lab and nowhere else: not back over the bridge, not into a file, not the page.
  const canary = person.password.slice(0, 12);
  expect(JSON.stringify(app.responses)).not.toContain(canary);
  for (const file of filesUnder(app.dataDir)) expect(readFileSync(file, 'utf8').includes(canary), file).toBe(false);
  expect(await page.content()).not.toContain(canary);
}

test.describe('accounts named for real people, in the wizard', () => {
  test.use({ mainOptions: { practice: { labFile: LAB, reset: true } } });

  test('COMPANY\\jürgen.müller: profile, check, client, server, test and restore', async ({ page, app }) => {
    test.setTimeout(180_000);
    await app.open(page);
    await profileFor(page, 'Jürgen: adfs1 to mem2', PEOPLE.jurgen);
    await wholeFlow(page, app, PEOPLE.jurgen);
  });

  test('COMPANY\\山田太郎: profile, check, client, server, test and restore', async ({ page, app }) => {
    test.setTimeout(180_000);
    await app.open(page);
    await profileFor(page, '山田: adfs1 to mem2', PEOPLE.yamada);
    await wholeFlow(page, app, PEOPLE.yamada);
  });

  test('a forbidden character is refused in the form, in plain words, and nothing is saved', async ({ page, app }) => {
    await app.open(page);
    await page.getByRole('button', { name: "Fill in the practice lab's machines" }).click();
    await page.getByLabel('Profile name').fill('Plus sign');
    const account = page.getByLabel('Account', { exact: true });
    await account.fill('COMPANY\\a+b');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await expect(page.getByText('The user name contains "+", which Windows account names cannot contain.')).toBeVisible();
    await expect(account).toBeFocused();
    await expect(account).toHaveAttribute('aria-invalid', 'true');
    expect(await app.services.profiles.store.list()).toEqual([]);
    // Corrected, it saves: O'Brien's apostrophe is a letter of a name, not a forbidden character.
    await account.fill("COMPANY\\O'Brien");
    await page.getByRole('button', { name: 'Save the profile' }).click();
    await expect(page.getByRole('radio', { name: /Plus sign/ })).toBeChecked();
    expect((await app.services.profiles.store.list()).map((p) => p.jumpAccount)).toEqual(["COMPANY\\O'Brien"]);
  });
});
