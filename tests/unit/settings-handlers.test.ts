import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvReport } from '../../src/shared/contract/env';
import { createSettingsHandlers, type SettingsHandlerDeps } from '../../src/main/settings/handlers';
import { SettingsStore } from '../../src/main/settings/store';
import type { HandlerContext } from '../../src/main/ipc/handler';

const ctx: HandlerContext = { operationId: 'x', progress: () => undefined };
const env: EnvReport = {
  platform: 'linux',
  practiceMode: false,
  dataDir: '/data',
  powershell: { found: true, path: '/opt/pwsh', version: '7.5.0', edition: 'Core', summary: 'PowerShell 7.5.0 is ready (/opt/pwsh).' },
};

let dir: string;
let practice: boolean;
let open: number;
let switches: ({ labFile: string } | false)[];
function handlers(overrides: Partial<SettingsHandlerDeps> = {}) {
  return createSettingsHandlers({
    store: new SettingsStore(dir),
    practiceMode: () => practice,
    labFileFor: (saved) => saved ?? '/app/tests/lab/default-lab.json',
    environment: async () => env,
    openSessions: () => open,
    switchMode: async (next) => {
      switches.push(next);
      practice = next !== false;
    },
    isFile: (p) => p === '/labs/mine.json',
    ...overrides,
  });
}
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'credhop-settings-h-'));
  practice = false;
  open = 0;
  switches = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('settings handlers', () => {
  it('reports the saved settings with the PowerShell found and the lab file in use', async () => {
    const view = await handlers().settingsGet({}, ctx);
    expect(view).toMatchObject({ practiceMode: false, effectiveLabFile: '/app/tests/lab/default-lab.json', powershell: { path: '/opt/pwsh', version: '7.5.0' } });
    expect(view.settings.defaultTimeBoxMinutes).toBe(60);
  });

  it('switches practice mode on with the saved lab file, and off again', async () => {
    const h = handlers();
    await h.settingsSave({ practiceLabFile: '/labs/mine.json' }, ctx);
    expect(switches).toEqual([]); // practice is off: a lab change alone restarts nothing
    const on = await h.settingsSave({ practiceMode: true }, ctx);
    expect(switches).toEqual([{ labFile: '/labs/mine.json' }]);
    expect(on).toMatchObject({ practiceMode: true, settings: { practiceMode: true }, effectiveLabFile: '/labs/mine.json' });
    await h.settingsSave({ practiceMode: false }, ctx);
    expect(switches).toEqual([{ labFile: '/labs/mine.json' }, false]);
  });

  it('restarts the lab when the lab file changes while practice mode is on', async () => {
    practice = true;
    await handlers().settingsSave({ practiceLabFile: '/labs/mine.json' }, ctx);
    expect(switches).toEqual([{ labFile: '/labs/mine.json' }]);
  });

  it('saves the default time box without restarting anything', async () => {
    const view = await handlers().settingsSave({ defaultTimeBoxMinutes: 25 }, ctx);
    expect(view.settings.defaultTimeBoxMinutes).toBe(25);
    expect(switches).toEqual([]);
  });

  it('refuses a lab file that does not exist, saving nothing', async () => {
    const h = handlers();
    await expect(h.settingsSave({ practiceLabFile: '/labs/missing.json', practiceMode: true }, ctx)).rejects.toMatchObject({ code: 'refused', message: expect.stringContaining('/labs/missing.json') });
    expect(switches).toEqual([]);
    expect((await h.settingsGet({}, ctx)).settings.practiceMode).toBe(false);
  });

  it('refuses to switch modes while changes are not restored', async () => {
    open = 1;
    await expect(handlers().settingsSave({ practiceMode: true }, ctx)).rejects.toMatchObject({ code: 'refused', hint: expect.stringContaining('Clean up now') });
    expect(switches).toEqual([]);
  });

  it('an empty lab path means the built-in lab', async () => {
    const h = handlers();
    await h.settingsSave({ practiceLabFile: '/labs/mine.json' }, ctx);
    const view = await h.settingsSave({ practiceLabFile: '' }, ctx);
    expect(view.settings.practiceLabFile).toBeNull();
    expect(view.effectiveLabFile).toBe('/app/tests/lab/default-lab.json');
  });
});
