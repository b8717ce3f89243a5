// package:win signs CredHop's PowerShell module with the executable's certificate (issue #11). Signing
// itself needs Windows and a certificate; here: the wiring, the list of files it signs (every script file
// of the module), and that no certificate stops the build unless CREDHOP_ALLOW_UNSIGNED=1 says so loudly.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requirePwsh } from './pwsh-path';

const require = createRequire(import.meta.url);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

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

  it('the script signs every script file of the module with SHA-256, from CSC_LINK or a thumbprint', () => {
    const text = readFileSync('scripts/sign-module.ps1', 'utf8');
    expect(text).toContain("'CredHop.psd1', 'CredHop.psm1'");
    expect(text).toContain("$signed = @('.ps1', '.psm1', '.psd1', '.ps1xml')");
    expect(text).toContain('Get-ChildItem -LiteralPath $ModuleDir -Recurse -File');
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
        // A file in a folder the module does not have yet must be signed too.
        mkdirSync(join(dir, 'CredHop', 'private'));
        writeFileSync(join(dir, 'CredHop', 'private', 'Later.ps1'), '# added later\n');
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(CSC_|CREDHOP_)/.test(k)) env[k] = v;
        if (allow) env.CREDHOP_ALLOW_UNSIGNED = allow;
        const r = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', 'scripts/sign-module.ps1', '-ModuleDir', join(dir, 'CredHop')], { env, encoding: 'utf8', timeout: 120_000 });
        expect(r.status).toBe(code);
        expect(r.stderr).toContain("NO CERTIFICATE (set CSC_LINK/CSC_KEY_PASSWORD or CREDHOP_SIGN_THUMBPRINT). CredHop's PowerShell module is NOT signed");
        expect(r.stderr).toContain(code === 1 ? 'Stopping the build.' : 'building an UNSIGNED package, as asked');
        // The list it would have signed: exactly every .ps1, .psm1 and .psd1 of the module, at any depth.
        const listed = r.stderr.split(/\r?\n/).filter((l) => l.startsWith('  /')).map((l) => l.slice(2)).sort();
        const expected = filesUnder(join(dir, 'CredHop')).filter((f) => /\.(ps1|psm1|psd1|ps1xml)$/i.test(f)).sort();
        expect(expected).toContain(join(dir, 'CredHop', 'CredHop.psd1'));
        expect(expected).toContain(join(dir, 'CredHop', 'src', 'Payload.ps1'));
        expect(expected).toContain(join(dir, 'CredHop', 'private', 'Later.ps1'));
        expect(listed).toEqual(expected);
        expect(r.stderr).toContain(`the files that must be signed (${expected.length}):`);
        expect(existsSync(join(dir, 'CredHop', 'CredHop.psm1'))).toBe(true);
        expect(readFileSync(join(dir, 'CredHop', 'CredHop.psm1'), 'utf8')).toBe(readFileSync('resources/powershell/CredHop/CredHop.psm1', 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 130_000);
  }
});
