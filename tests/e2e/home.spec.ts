// The home screen for the tenth run of the day: the saved profiles first, each with its state in words;
// the express path reachable from the list by keyboard; every control of the express path on screen
// without scrolling at 1280 × 800 and 1366 × 768 (light and dark), a header that never wraps, and the
// express result as the screen's subject. Real main-side handlers, real pwsh, the default practice lab.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { runCli } from '../../src/cli/run';
import { test, expect } from './harness';
import { DEFAULT_LAB, expectAccessible, SCREENSHOT_DIR } from './helpers';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
] as const;

/** Fails when any part of the control is outside the viewport (the operator would have to scroll). */
async function expectOnScreen(page: Page, control: Locator, what: string): Promise<void> {
  await expect(control, what).toBeVisible();
  const box = await control.boundingBox();
  const view = page.viewportSize()!;
  expect(box, what).not.toBeNull();
  const where = `${what} at ${JSON.stringify(box)} in ${view.width} × ${view.height}`;
  expect(box!.x, where).toBeGreaterThanOrEqual(0);
  expect(box!.y, where).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, where).toBeLessThanOrEqual(view.width);
  expect(box!.y + box!.height, where).toBeLessThanOrEqual(view.height);
}

/** The header is one line: every item in it overlaps every other vertically (a wrapped item would not). */
async function expectHeaderOneLine(page: Page, what: string): Promise<void> {
  const boxes = await page.locator('header.topbar > :not(.spacer)').evaluateAll((els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => {
      const r = e.getBoundingClientRect();
      return { text: (e.textContent ?? '').trim().slice(0, 30), top: r.top, bottom: r.bottom };
    }),
  );
  expect(boxes.length, what).toBeGreaterThanOrEqual(4);
  const lowestTop = Math.max(...boxes.map((b) => b.top));
  const highestBottom = Math.min(...boxes.map((b) => b.bottom));
  expect(lowestTop, `${what}: header items ${JSON.stringify(boxes)}`).toBeLessThan(highestBottom);
}

/** The viewport as the operator sees it, in both themes: artifacts/screenshots/home-<name>-<w>x<h>-<theme>.png. */
async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const view = page.viewportSize()!;
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `home-${name}-${view.width}x${view.height}-${scheme}.png`), animations: 'disabled', caret: 'hide' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const PROFILES = [
  { name: 'File servers via adfs1', target: 'dc1.company.pri' },
  { name: 'Practice: adfs1 to mem2', target: 'mem2.company.pri' },
  { name: 'Print server via adfs1', target: 'mem2.company.pri' },
];

test.describe('home: the operator’s profiles first', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('both sizes, both themes: the express path from the list by keyboard, always on screen; the result is the subject', async ({ page, app }) => {
    test.setTimeout(180_000);
    const ctx = { operationId: 'seed', progress: () => undefined };
    for (const p of PROFILES) {
      await app.services.handlers.profilesSave({ profile: { name: p.name, jumpServer: 'adfs1.company.pri', target: p.target, jumpAccount: 'COMPANY\\Administrator', probeCommand: 'hostname', timeBoxMinutes: 60, notes: '' } } as never, ctx);
    }
    await page.setViewportSize(SIZES[0]);
    await app.open(page);
    const before = await app.labState();

    // Launch: the profiles, each with its state in words; nothing is chosen yet.
    const list = page.getByTestId('profile-list');
    await expect(list.getByRole('radio')).toHaveCount(3);
    await expect(list.getByTestId('profile-state').first()).toHaveText('Not used yet');
    // The status line names the PowerShell found and its edition, and opens the report from the keyboard.
    await expect(page.getByTestId('powershell-summary')).toHaveText(/^PowerShell 7\.\d+( \(LTS\))? · 7\.\d+\.\d+$/);
    await expect(page.getByTestId('powershell-report')).toBeHidden();
    await page.getByTestId('powershell-status').locator('summary').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('powershell-report')).toContainText(/PowerShell 7\.\d+\.\d+ is ready/);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('powershell-report')).toBeHidden();
    await expect(page.getByTestId('mode-meaning')).toHaveText('Simulated machines (the lab): nothing real is changed.');

    // The list is one tab stop: arrow keys choose; Enter starts the chosen profile's express path.
    let activations = 0;
    const first = list.getByRole('radio').first();
    await first.focus();
    await page.keyboard.press('ArrowDown');
    const chosen = list.getByRole('radio', { name: /Practice: adfs1 to mem2/ });
    await expect(chosen).toBeChecked();
    await expect(chosen).toBeFocused();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const what = `${size.width} × ${size.height}`;
      await expectOnScreen(page, chosen, `the chosen profile (${what})`);
      await expectOnScreen(page, page.getByTestId('express').getByRole('button', { name: 'Check both machines' }), `Check both machines (${what})`);
      await expectHeaderOneLine(page, `home (${what})`);
      await shoot(page, 'profiles');
    }
    await expectAccessible(page, 'home');

    activations += 1;
    await page.keyboard.press('Enter');
    const review = page.getByTestId('express-review');
    await expect(review).toHaveText('The plan: 3 changes, then the test', { timeout: 60_000 });
    await expect(review).toBeFocused();
    // The plan is the subject: the list, the mode switch and "Continue" are gone until it is answered.
    await expect(page.getByTestId('profile-list')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Continue to the check' })).toHaveCount(0);
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const what = `${size.width} × ${size.height}`;
      await expectOnScreen(page, page.getByTestId('express-confirm'), `Apply both steps and test the hop (${what})`);
      await expectHeaderOneLine(page, `plan (${what})`);
      await shoot(page, 'plan');
    }

    activations += 1;
    await page.getByTestId('express-confirm').click();
    const done = page.getByTestId('express-done');
    await expect(done).toBeVisible({ timeout: 90_000 });
    expect(activations).toBeLessThanOrEqual(3);
    // The result is the subject: nothing else asks to continue; the sidebar says what express did.
    await expect(page.getByRole('button', { name: 'Continue to the check' })).toHaveCount(0);
    const nav = page.getByRole('navigation', { name: 'Wizard steps' });
    await expect(nav.locator('[aria-current="step"]')).toHaveCount(0);
    await expect(page.getByTestId('nav-express')).toHaveText('Express did steps 2 to 5: the hop is verified. Restore is still to do.');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const what = `${size.width} × ${size.height}`;
      await expectOnScreen(page, page.getByRole('heading', { name: /The hop works/ }), `the verified hop (${what})`);
      await expectOnScreen(page, done.getByTestId('countdown'), `the countdown (${what})`);
      await expectOnScreen(page, page.getByRole('button', { name: 'Open a session on the jump server' }), `Open a session (${what})`);
      await expectOnScreen(page, page.getByTestId('express').getByRole('button', { name: 'Restore', exact: true }), `Restore (${what})`);
      // With a session open the countdown badge is in the header, and Clean up now stays on its line.
      await expect(page.getByTestId('credssp-on')).toBeVisible();
      await expectOnScreen(page, page.getByRole('button', { name: 'Clean up now' }), `Clean up now (${what})`);
      await expectHeaderOneLine(page, `result (${what})`);
      await shoot(page, 'result');
    }
    await expectAccessible(page, 'home (express result)');

    // Back home: the profile's state says CredSSP is on, until when, where, and when the hop was verified.
    await page.getByRole('button', { name: 'Back to the profiles' }).click();
    const state = page.getByTestId('profile-list').getByRole('radio', { name: /Practice: adfs1 to mem2/ }).locator('xpath=..').getByTestId('profile-state');
    await expect(state).toHaveText(/^CredSSP on, restores at .+ on both machines; last verified hop at .+$/);
    await expect(page.getByTestId('profile-actions').getByRole('button', { name: 'Restore' })).toBeVisible();
    await shoot(page, 'profiles-on');

    // 200 % zoom on a 1280 × 800 screen is a 640 × 400 viewport: the header still keeps one line, and
    // every control of the express path is reachable by scrolling.
    await page.setViewportSize({ width: 640, height: 400 });
    await expectHeaderOneLine(page, 'home at 200 %');
    for (const control of [page.getByTestId('profile-list').getByRole('radio').first(), page.getByTestId('express').getByRole('button', { name: 'Check both machines' }), page.getByTestId('profile-actions').getByRole('button', { name: 'Restore' })]) {
      await control.scrollIntoViewIfNeeded();
      await expectOnScreen(page, control, 'at 200 %');
    }
    await shoot(page, 'profiles-zoom200');

    await page.getByTestId('profile-actions').getByRole('button', { name: 'Restore' }).click();
    await expect(page.getByTestId('cleanup-notice')).toContainText('Cleaned up: everything is back as it was.', { timeout: 60_000 });
    expect(await app.labState()).toEqual(before);
  });
});

test.describe('home: each profile\'s state across runs', () => {
  test.use({ mainOptions: { practice: { labFile: DEFAULT_LAB, reset: true } } });

  test('a hop verified by the command line shows as the last verified hop on the home of a fresh main', async ({ page, app }) => {
    test.setTimeout(120_000);
    const ctx = { operationId: 'seed', progress: () => undefined };
    for (const p of PROFILES.slice(0, 2)) {
      await app.services.handlers.profilesSave({ profile: { name: p.name, jumpServer: 'adfs1.company.pri', target: p.target, jumpAccount: 'COMPANY\\Administrator', probeCommand: 'hostname', timeBoxMinutes: 60, notes: '' } } as never, ctx);
    }
    await page.setViewportSize(SIZES[0]);
    await app.open(page);
    const stateOf = (name: string) => page.getByTestId('profile-list').getByRole('radio', { name: new RegExp(name) }).locator('xpath=..').getByTestId('profile-state');
    const [other, tested] = [PROFILES[0]!.name, PROFILES[1]!.name];
    await expect(stateOf(tested)).toHaveText('Not used yet');

    // The command line, over the same data folder, verifies the hop with explicit credentials.
    let said = '';
    const io = { stdout: (t: string) => void (said += t), stderr: (t: string) => void (said += t), readStdin: () => Promise.resolve('') };
    expect(await runCli(['test', '--practice', '--explicit', '--profile', tested], io, { dataDir: app.dataDir, root: process.cwd() }), said).toBe(0);

    await app.restart(page);
    await expect(stateOf(tested)).toHaveText(/^CredSSP off; last verified hop at \d{1,2}:\d{2}( [AP]M)?$/);
    await expect(stateOf(other)).toHaveText('Not used yet');
  });
});

test.describe('home: the first run', () => {
  test('with no profile yet, an empty state says what a profile is and offers New profile and the practice lab', async ({ page, app }) => {
    test.setTimeout(90_000);
    await page.setViewportSize(SIZES[1]);
    await app.open(page);
    const empty = page.getByTestId('empty-home');
    await expect(empty).toContainText('A profile is one second hop you make often');
    await expect(page.getByTestId('real-badge')).toBeVisible();
    await expectAccessible(page, 'home (empty)');
    await shoot(page, 'empty');
    await empty.getByRole('button', { name: 'New profile' }).click();
    await expect(page.getByLabel('Profile name')).toBeFocused();
    await empty.getByRole('button', { name: 'Try the practice lab' }).click();
    await expect(page.getByTestId('practice-badge')).toBeVisible();
    await expect(page.getByRole('button', { name: "Fill in the practice lab's machines" })).toBeFocused();
  });
});
