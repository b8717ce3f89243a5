// package:win signs CredHop's PowerShell module with the executable's certificate (issue #11). Signing
// itself needs Windows and a certificate; here: the wiring, and that no certificate stops the build
// unless CREDHOP_ALLOW_UNSIGNED=1 says so loudly.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requirePwsh } from './pwsh-path';

const require = createRequire(import.meta.url);

describe('signing the module in package:win', () => {
  it('package:win builds with the config that adds the signing hook to electron-builder.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['package:win']).toBe('electron-vite build && electron-builder --win --config scripts/electron-builder.win.cjs');
    const config = require(resolve('scripts/electron-builder.win.cjs')) as Record<string, unknown>;
    const base = JSON.parse(readFileSync('electron-builder.json', 'utf8')) as Record<string, unknown>;
    expect(config).toEqual({ ...base, afterPack: './scripts/sign-module-after-pack.cjs' });
    const hook = readFileSync('scripts/sign-module-after-pack.cjs', 'utf8');
    expect(hook).toContain("path.join(context.appOutDir, 'resources', 'powershell', 'CredHop')");
    expect(hook).toContain("'sign-module.ps1'");
    expect(hook).toContain("context.electronPlatformName !== 'win32'");
  });

  it('the script signs the manifest, the root module and every src/*.ps1 with SHA-256, from CSC_LINK or a thumbprint', () => {
    const text = readFileSync('scripts/sign-module.ps1', 'utf8');
    expect(text).toContain("'CredHop.psd1'");
    expect(text).toContain("'CredHop.psm1'");
    expect(text).toContain("-Filter '*.ps1'");
    expect(text).toContain('Set-AuthenticodeSignature @sp');
    expect(text).toContain("HashAlgorithm = 'SHA256'");
    expect(text).toMatch(/\$env:CSC_LINK/);
    expect(text).toMatch(/\$env:CSC_KEY_PASSWORD/);
    expect(text).toMatch(/\$env:CREDHOP_SIGN_THUMBPRINT/);
    expect(text).toContain("if ($sig.Status -ne 'Valid')");
  });

  for (const [allow, code] of [[undefined, 1], ['1', 0]] as const) {
    it(`without a certificate it ${code === 1 ? 'stops the build' : 'goes on, loudly, because CREDHOP_ALLOW_UNSIGNED=1'}`, () => {
      const pwsh = requirePwsh();
      const dir = mkdtempSync(join(tmpdir(), 'credhop-sign-'));
      try {
        cpSync(resolve('resources/powershell/CredHop'), join(dir, 'CredHop'), { recursive: true });
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(CSC_|CREDHOP_)/.test(k)) env[k] = v;
        if (allow) env.CREDHOP_ALLOW_UNSIGNED = allow;
        const r = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', 'scripts/sign-module.ps1', '-ModuleDir', join(dir, 'CredHop')], { env, encoding: 'utf8', timeout: 120_000 });
        expect(r.status).toBe(code);
        expect(r.stderr).toContain("NO CERTIFICATE (set CSC_LINK/CSC_KEY_PASSWORD or CREDHOP_SIGN_THUMBPRINT). CredHop's PowerShell module is NOT signed");
        expect(r.stderr).toContain(code === 1 ? 'Stopping the build.' : 'building an UNSIGNED package, as asked');
        expect(existsSync(join(dir, 'CredHop', 'CredHop.psm1'))).toBe(true);
        expect(readFileSync(join(dir, 'CredHop', 'CredHop.psm1'), 'utf8')).toBe(readFileSync('resources/powershell/CredHop/CredHop.psm1', 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 130_000);
  }
});
