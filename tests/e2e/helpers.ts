// Shared steps of the wizard specs: screenshots in both themes, the axe-core check, the practice lab.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { articleLab, type LabFile } from '../support/labs';

export const SCREENSHOT_DIR = resolve('artifacts/screenshots');
export const DEFAULT_LAB = resolve('tests/lab/default-lab.json');

export { articleLab, type LabFile } from '../support/labs';

/** Writes a lab file variant (the article's lab with per-host overrides) to a temp folder. */
export function labFile(name: string, overrides: Record<string, Record<string, unknown>> = {}, extra: Partial<LabFile> = {}): string {
  const dir = join(tmpdir(), 'credhop-e2e-labs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(articleLab(overrides, extra), null, 2));
  return file;
}

/** Screenshots the page in the light and the dark theme: artifacts/screenshots/<name>-<light|dark>.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${scheme}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** axe-core on the current screen, in both themes: no serious or critical violation. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
    expect(serious, `axe on ${where} (${scheme})`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The step heading that has focus after a step change. */
export function stepHeading(page: Page, name: RegExp | string) {
  return page.getByRole('heading', { level: 2, name });
}

/** Profile step: the practice lab's profile, and a password kept for this run (no keychain on test machines). */
export async function createPracticeProfile(page: Page, name = 'Practice: adfs1 to mem2'): Promise<void> {
  await page.getByRole('button', { name: "Fill in the practice lab's machines" }).click();
  await page.getByLabel('Profile name').fill(name);
  await page.getByRole('button', { name: 'Save the profile' }).click();
  await expect(page.getByRole('radio', { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) })).toBeChecked();
  await page.getByLabel('Password for COMPANY\\Administrator').fill('lab-password');
  await page.getByRole('button', { name: 'Keep this password' }).click();
  await expect(page.getByTestId('password-panel')).toContainText('Kept for this run');
}

/** Profile → Check, waiting for the check to finish. */
export async function runCheck(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Continue to the check' }).click();
  await expect(page.getByTestId('status-check')).toContainText(/Check complete|could not finish/, { timeout: 30_000 });
}

/**
 * From the end of the check to the test step, through the wizard: this computer, then the jump server, each
 * applied and verified. `onClientStep` runs on the client step before it is applied (a step's own assertions).
 */
export async function configureBothSteps(page: Page, jumpServer = 'adfs1.company.pri', onClientStep?: () => Promise<void>): Promise<void> {
  await page.getByRole('button', { name: 'Continue to configure the client' }).click();
  if (onClientStep) await onClientStep();
  await page.getByRole('button', { name: 'Apply to this computer' }).click();
  await expect(page.getByTestId('after-state-client')).toContainText('Done and verified', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Continue to configure the server' }).click();
  await page.getByRole('button', { name: `Apply to ${jumpServer}` }).click();
  await expect(page.getByTestId('after-state-server')).toContainText('Done and verified', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Continue to the test' }).click();
}
