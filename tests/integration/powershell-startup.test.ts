// How CredHop's PowerShell starts (issue #11): the module paths reach PowerShell in environment variables,
// so a folder like C:\Users\Jürgen\... works even where stdin is decoded with a legacy code page; and a
// locked-down PowerShell (ConstrainedLanguage, a Group Policy execution policy) is explained in plain words.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkEnvironment } from '../../src/main/env/check';
import { PowerShellEngine } from '../../src/main/powershell/engine';
import { bootstrapLines, LAB_MODULE_ENV, MODULE_ENV, TEST_LANGUAGE_MODE_ENV } from '../../src/main/powershell/startup';
import { createRouter } from '../../src/main/ipc/router';
import { createMainServices, type MainServices } from '../../src/main/services';
import type { Result } from '../../src/shared/result';
import { articleLab } from '../support/labs';
import { ARTICLE, CRED } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function withEnv(name: string, value: string): void {
  const old = process.env[name];
  process.env[name] = value;
  cleanup.push(() => {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  });
}

/** The module and the lab copied under a folder whose name is not ASCII, laid out as the source tree. */
function nonAsciiRoot(): { root: string; dataDir: string; labFile: string } {
  const top = mkdtempSync(join(tmpdir(), 'credhop-nonascii-'));
  cleanup.push(() => rmSync(top, { recursive: true, force: true }));
  const root = join(top, 'Jürgen Ørsted', 'CredHop ü');
  mkdirSync(join(root, 'resources', 'powershell'), { recursive: true });
  mkdirSync(join(root, 'tests'), { recursive: true });
  cpSync(resolve('resources/powershell/CredHop'), join(root, 'resources', 'powershell', 'CredHop'), { recursive: true });
  cpSync(resolve('tests/lab'), join(root, 'tests', 'lab'), { recursive: true });
  symlinkSync(resolve('.tools'), join(root, '.tools'));
  const dataDir = join(top, 'Jürgen Ørsted', 'data');
  mkdirSync(dataDir, { recursive: true });
  const labFile = join(dataDir, 'lab ü.json');
  writeFileSync(labFile, JSON.stringify(articleLab(), null, 2));
  return { root, dataDir, labFile };
}

/** The PowerShell processes this test process started while `work` ran (Linux /proc, sampled every 5 ms). */
async function pwshStartedDuring(work: () => Promise<unknown>): Promise<number> {
  const children = (): string[] =>
    readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pwsh');
        } catch {
          return false; // gone meanwhile
        }
      });
  const before = new Set(children());
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of children()) if (!before.has(pid)) seen.add(pid);
  };
  const timer = setInterval(sample, 5);
  try {
    await work().catch(() => undefined);
    sample();
  } finally {
    clearInterval(timer);
  }
  return seen.size;
}

function services(root: string, dataDir: string, labFile: string): MainServices {
  const s = createMainServices({ dataDir, root, practice: { labFile, reset: true } });
  cleanup.push(() => s.dispose());
  return s;
}

describe('the module paths travel in the environment, never in command text', () => {
  it('the bootstrap is constant text: no path, whatever the install folder', () => {
    requirePwsh();
    const engine = new PowerShellEngine({
      powershell: { path: resolve('.tools/pwsh/pwsh'), kind: 'pwsh', source: 'bundled-tools' },
      cwd: process.cwd(),
      modulePath: 'C:\\Users\\Jürgen\\CredHop\\resources\\powershell\\CredHop\\CredHop.psd1',
      practice: { modulePath: 'C:\\Users\\Jürgen\\CredHop\\lab\\CredHopLab.psd1', labFile: 'x', stateDir: 'y' },
    });
    cleanup.push(() => engine.dispose());
    const config = Reflect.get(engine.shell, 'config') as { env?: Record<string, string> };
    expect(config.env?.[MODULE_ENV]).toBe('C:\\Users\\Jürgen\\CredHop\\resources\\powershell\\CredHop\\CredHop.psd1');
    expect(config.env?.[LAB_MODULE_ENV]).toBe('C:\\Users\\Jürgen\\CredHop\\lab\\CredHopLab.psd1');
    for (const practice of [false, true]) {
      const text = bootstrapLines(practice).join('\n');
      expect(text).not.toMatch(/Jürgen|CredHop\.psd1|CredHopLab\.psd1/);
      expect(text).toContain('Import-Module -Name $env:CREDHOP_MODULE -Force -DisableNameChecking');
      // eslint-disable-next-line no-control-regex
      expect(text).toMatch(/^[\x09\x0a\x20-\x7e]*$/); // ASCII only: nothing a code page can mangle
    }
    expect(bootstrapLines(true).join('\n')).toContain('Import-Module -Name $env:CREDHOP_LAB_MODULE -Global -Force -DisableNameChecking');
  });

  it(
    'a practice check works end to end from a folder named "Jürgen Ørsted", with stdin decoded as Latin-1',
    async () => {
      // .NET on Linux decodes redirected stdin with the locale's charset: ISO-8859-1 mangles UTF-8 "ü" as
      // Windows PowerShell's OEM code page does. A path sent as command text would not be found.
      withEnv('LC_ALL', 'en_US.ISO-8859-1');
      const { root, dataDir, labFile } = nonAsciiRoot();
      const s = services(root, dataDir, labFile);
      const checked = await s.hop()!.check(ARTICLE, CRED);
      expect(checked.diagnosis).toBeUndefined();
      expect(checked.snapshot).not.toBeNull();
      expect(checked.plan).not.toBeNull();
      const report = await checkEnvironment({ platform: process.platform, dataDir, practiceMode: true, powershell: s.powershell, engine: s.engine });
      expect(report.powershell.found).toBe(true);
      expect(report.powershell.path).toBe(join(root, '.tools', 'pwsh', 'pwsh'));
    },
    180_000,
  );
});

const CLM_MESSAGE =
  'PowerShell runs in ConstrainedLanguage mode on this computer: an App Control for Business (WDAC) or AppLocker policy lets only code it trusts run in full, so CredHop cannot use PowerShell.';
const CLM_HINT =
  "CredHop cannot run on this computer under this policy: it drives PowerShell by sending it commands, and App Control runs such commands in ConstrainedLanguage however CredHop's module is signed. An administrator can run CredHop on a computer whose App Control policy does not enforce script rules (under AppLocker, a script rule that allows the account CredHop runs as also gives FullLanguage), or make the changes by hand with the PowerShell each step shows. Then start CredHop again.";

// Under App Control, commands piped to PowerShell's stdin run in ConstrainedLanguage whatever signs the module
// ("Use App Control to secure PowerShell", Microsoft Learn), and CredHop's shell is driven that way: the
// hint says CredHop cannot run there, never "allow the publisher". Linux has no such policy engine.
describe('a locked-down PowerShell', () => {
  it(
    'ConstrainedLanguage (App Control/AppLocker): one plain error saying what an administrator must do',
    async () => {
      // The test hook can only lower the language mode; it puts CredHop's own shell into
      // ConstrainedLanguage before its start check, as an enforced App Control policy would.
      withEnv(TEST_LANGUAGE_MODE_ENV, 'ConstrainedLanguage');
      const { root, dataDir, labFile } = nonAsciiRoot();
      const s = services(root, dataDir, labFile);
      const error = await s.hop()!.readClient().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'powershell-unavailable', message: CLM_MESSAGE, hint: CLM_HINT });
      // what Settings and `credhop check` show
      const report = await checkEnvironment({ platform: process.platform, dataDir, practiceMode: true, powershell: s.powershell, engine: s.engine });
      expect(report.powershell.found).toBe(false);
      expect(report.powershell.summary).toContain('could not be used: PowerShell runs in ConstrainedLanguage mode on this computer');
      expect(report.powershell.summary).toContain('CredHop cannot run on this computer under this policy');
      expect(report.powershell.summary).not.toMatch(/allow the publisher/);
      expect(report.powershell.summary).not.toMatch(/Method invocation|Exception|at line/);
    },
    180_000,
  );

  it(
    'ConstrainedLanguage: the wizard\'s check (through the router, as the window calls it) and `credhop check` say the same, nothing else',
    async () => {
      withEnv(TEST_LANGUAGE_MODE_ENV, 'ConstrainedLanguage');
      const dataDir = mkdtempSync(join(tmpdir(), 'credhop-clm-'));
      cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const s = services(process.cwd(), dataDir, resolve('tests/lab/default-lab.json'));
      const router = createRouter(s.handlers, { isTrustedSender: () => true });
      const sender = { url: 'app://credhop/index.html', isTopFrame: true, windowId: 1 };
      const call = (channel: string, request: unknown) => router.dispatch(channel, sender, request, () => undefined) as Promise<Result<unknown>>;
      const saved = await call('profilesSave', { profile: { name: 'Locked down', jumpServer: ARTICLE.jumpServer, target: ARTICLE.target, jumpAccount: ARTICLE.account, probeCommand: 'hostname' } });
      if (!saved.ok) throw new Error(saved.error.message);
      const check = await call('hopCheck', { profileId: (saved.data as { profile: { id: string } }).profile.id });
      expect(check).toEqual({ ok: false, error: { code: 'powershell-unavailable', message: CLM_MESSAGE, hint: CLM_HINT } });

      if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` (scripts/setup.sh does) first.');
      const cliData = join(dataDir, 'cli');
      const r = spawnSync(process.execPath, ['bin/credhop.cjs', 'check', '--practice'], { env: { ...process.env, CREDHOP_DATA_DIR: cliData }, encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr).toContain(CLM_MESSAGE);
      expect(r.stderr).toContain('App Control runs such commands in ConstrainedLanguage however CredHop\'s module is signed');
      expect(r.stderr).not.toMatch(/allow the publisher/);
      expect(r.stdout + r.stderr).not.toMatch(/Exception|at line|Method invocation|CategoryInfo/);
      expect(r.status).not.toBe(0);
    },
    240_000,
  );

  it('a start is one PowerShell process: the start check is the shell\'s own first line, not a separate PowerShell', async () => {
    requirePwsh();
    const s = createMainServices({ dataDir: mkdtempSync(join(tmpdir(), 'credhop-one-')), root: process.cwd(), practice: { reset: true } });
    cleanup.push(() => s.dispose());
    const normal = await pwshStartedDuring(() => s.engine()!.info());
    expect(normal).toBe(1);
    withEnv(TEST_LANGUAGE_MODE_ENV, 'ConstrainedLanguage');
    const locked = createMainServices({ dataDir: mkdtempSync(join(tmpdir(), 'credhop-one-')), root: process.cwd(), practice: { reset: true } });
    cleanup.push(() => locked.dispose());
    let refused: unknown = null;
    expect(await pwshStartedDuring(() => locked.engine()!.info().catch((e: unknown) => { refused = e; }))).toBe(1);
    expect(refused).toMatchObject({ code: 'powershell-unavailable', message: CLM_MESSAGE, hint: CLM_HINT });
    expect(locked.engine()!.shell.isRunning).toBe(false);
  }, 120_000);

  it('the environment report shows the language mode and the execution policy', async () => {
    requirePwsh();
    const s = createMainServices({ dataDir: mkdtempSync(join(tmpdir(), 'credhop-env-')), root: process.cwd(), practice: { reset: true } });
    cleanup.push(() => s.dispose());
    const report = await checkEnvironment({ platform: process.platform, dataDir: s.dataDir, practiceMode: true, powershell: s.powershell, engine: s.engine });
    expect(report.powershell.found).toBe(true);
    expect(report.powershell.summary).toMatch(/Language mode: FullLanguage\. Execution policy: \w+ \(.+\)\.$/);
  }, 120_000);
});
