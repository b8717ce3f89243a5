// The window's web preferences keep Electron's security checklist, whatever else changes in them.
import { describe, expect, it } from 'vitest';
import { secureWindowOptions } from '../../src/main/window/options';

const prefs = secureWindowOptions('/app/out/preload/index.js').webPreferences ?? {};

describe('secureWindowOptions', () => {
  it.each(['contextIsolation', 'sandbox', 'webSecurity'] as const)('keeps %s on, explicitly', (key) => {
    expect(prefs[key]).toBe(true);
  });

  it.each([
    'nodeIntegration',
    'nodeIntegrationInWorker',
    'nodeIntegrationInSubFrames',
    'webviewTag',
    'allowRunningInsecureContent',
    'experimentalFeatures',
    'navigateOnDragDrop',
  ] as const)('never enables %s', (key) => {
    expect(prefs[key]).toBe(false);
  });

  it('enables no Node integration, Blink feature or insecure option under any other name', () => {
    for (const [key, value] of Object.entries(prefs)) {
      if (/nodeIntegration|webview|insecure|experimental/i.test(key)) expect(value, key).toBe(false);
    }
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(prefs).not.toHaveProperty('additionalArguments');
    expect(prefs).not.toHaveProperty('enableRemoteModule');
  });

  it('loads only the given preload, as an absolute path', () => {
    expect(prefs.preload).toBe('/app/out/preload/index.js');
  });
});
