// electron-builder cannot package here (it downloads Electron), so its configuration is validated
// against electron-builder's own schema and checked for what a Windows admin tool must have.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import type { Configuration } from 'app-builder-lib';

function load(): Configuration {
  return JSON.parse(readFileSync('electron-builder.json', 'utf8')) as Configuration;
}

describe('electron-builder configuration', () => {
  it('passes electron-builder\'s own schema validation', async () => {
    await expect(validateConfiguration(load(), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('would be rejected by that validation if it were wrong (the check can fail)', async () => {
    const broken = load() as Record<string, unknown> & { win: Record<string, unknown> };
    broken.win.requestedExecutionLevel = 'sometimes';
    await expect(validateConfiguration(broken as Configuration, new DebugLogger(false))).rejects.toThrow(/requestedExecutionLevel/);
  });

  it('builds a 64-bit NSIS installer and a portable exe, both requiring administrator', () => {
    const c = load();
    expect(c.appId).toBe('pri.credhop.app');
    expect(c.productName).toBe('CredHop');
    const win = c.win!;
    expect(win.requestedExecutionLevel).toBe('requireAdministrator');
    expect(win.target).toEqual([
      { target: 'nsis', arch: ['x64'] },
      { target: 'portable', arch: ['x64'] },
    ]);
    expect(c.portable?.requestExecutionLevel).toBe('admin');
    expect(c.nsis?.perMachine).toBe(true);
  });

  it('has its icon in build/ at a size Windows can use', () => {
    const icon = load().win!.icon as string;
    expect(existsSync(icon)).toBe(true);
    const png = readFileSync(icon);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(256);
  });

  it('ships the PowerShell module and the practice lab beside the app', () => {
    const extra = load().extraResources as { from: string; to: string }[];
    expect(extra.map((e) => [e.from, e.to])).toEqual([
      ['resources/powershell', 'powershell'],
      ['tests/lab', 'lab'],
    ]);
  });

  it('sets the Electron fuses for a hardened packaged app', () => {
    expect(load().electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(load().asar).toBe(true);
  });

  it('installs credhop.cmd beside CredHop.exe on Windows (the command line where there is no Node)', () => {
    const win = load().win as { extraFiles?: { from: string; to: string }[] };
    expect(win.extraFiles).toEqual([{ from: 'build/win/credhop.cmd', to: 'credhop.cmd' }]);
    expect(existsSync('build/win/credhop.cmd')).toBe(true);
    // The Windows packaging configuration is this one plus the module signing step.
    const packaged = require('../../scripts/electron-builder.win.cjs') as Configuration;
    expect(packaged.win).toEqual(load().win);
    expect(packaged.electronFuses?.runAsNode).toBe(false);
  });

  it('packages no test scaffolding from out/ (the Playwright preload stand-in)', () => {
    expect(load().files).toContain('!out/e2e-preload/**');
  });
});
