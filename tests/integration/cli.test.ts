// The built credhop command line, run as a user would: practice end to end, machine-readable output,
// exit codes that tell success, a diagnosed failure, refused input and an internal error apart.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { articleLab, removeDir } from './lab-fixture';

const CLI = 'bin/credhop.cjs';
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function credhop(args: string[], options: { dataDir: string; input?: string; cwd?: string }) {
  if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` (scripts/setup.sh does) first.');
  const r = spawnSync(process.execPath, [resolve(CLI), ...args], { env: { ...process.env, CREDHOP_DATA_DIR: options.dataDir }, input: options.input ?? '', encoding: 'utf8', timeout: 180_000, ...(options.cwd ? { cwd: options.cwd } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

describe('credhop (the command line)', () => {
  it('practice: runs the whole flow in the lab, says practice mode loudly, and exits 0 with everything restored', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const r = credhop(['practice'], { dataDir });
      expect(r.stderr).toMatch(/PRACTICE MODE/);
      expect(r.stdout).toMatch(/1\/6 Check/);
      expect(r.stdout).toMatch(/Cause: Kerberos would not delegate/);
      expect(r.stdout).toMatch(/The hop works/);
      expect(r.stdout).toMatch(/Everything is back as it was/);
      expect(r.stderr).toMatch(/… Turn on CredSSP/); // progress on long steps
      expect(r.code).toBe(0);
      // every audit entry names the CredHop version that wrote it
      const audit = readFileSync(join(dataDir, 'practice', 'audit.jsonl'), 'utf8').trim().split('\n');
      expect(audit.length).toBeGreaterThan(0);
      for (const line of audit) expect((JSON.parse(line) as { version?: string }).version).toBe(VERSION);
    } finally {
      removeDir(dataDir);
    }
  });

  it('practice --json: one JSON document on stdout, progress kept off it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const r = credhop(['practice', '--json'], { dataDir });
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { ok: boolean; test: { ok: boolean }; restore: { clean: boolean } };
      expect(report).toMatchObject({ ok: true, test: { ok: true }, restore: { clean: true } });
    } finally {
      removeDir(dataDir);
    }
  });

  it('apply, status, journal, test and restore over the same data folder, with the password from stdin only', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    const lab = join(dataDir, 'lab.json');
    writeFileSync(lab, JSON.stringify(articleLab()));
    const hosts = ['--lab', lab, '--jump', 'adfs1.company.pri', '--target', 'mem2.company.pri', '--account', 'COMPANY\\Administrator'];
    const secret = 'Cli-Canary-9d2e\'$(x)`';
    try {
      expect(credhop(['apply', ...hosts, '--timebox', '30'], { dataDir }).code).toBe(0);
      const status = credhop(['status', '--lab', lab, '--json'], { dataDir });
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { open: unknown[] }).open).toHaveLength(1);
      expect(credhop(['journal', '--lab', lab], { dataDir }).stdout).toMatch(/Unrestored: .*adfs1\.company\.pri/);
      const test = credhop(['test', ...hosts, '--password-stdin'], { dataDir, input: `${secret}\n` });
      expect(test.stdout).toMatch(/The hop works/);
      expect(test.code).toBe(0);
      // A restore over another practice lab (the saved one) must not "restore" that lab's machines from
      // this session's snapshot: it leaves the session open and names the lab and the command to use.
      const elsewhere = credhop(['restore', '--practice', '--json'], { dataDir });
      expect(elsewhere.code).toBe(1);
      const refused = JSON.parse(elsewhere.stdout) as { clean: boolean; sessions: { complete: boolean; operations: string[]; differences: string[] }[] };
      expect(refused.clean).toBe(false);
      expect(refused.sessions).toHaveLength(1);
      expect(refused.sessions[0]!.operations).toEqual([]);
      expect(refused.sessions[0]!.differences.join(' ')).toContain(`credhop restore --lab "${lab}"`);
      expect((JSON.parse(credhop(['status', '--lab', lab, '--json'], { dataDir }).stdout) as { open: unknown[] }).open).toHaveLength(1);
      const restore = credhop(['restore', '--lab', lab, '--json'], { dataDir });
      expect(restore.code).toBe(0);
      expect((JSON.parse(restore.stdout) as { clean: boolean }).clean).toBe(true);
      const audit = credhop(['audit', '--lab', lab], { dataDir });
      expect(audit.code).toBe(0);
      const entries = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string });
      expect(entries.map((e) => e.action)).toContain('WinRM service CredSSP');
      expect(entries.every((e) => e.outcome === 'ok')).toBe(true);
      for (const file of allFiles(dataDir)) expect(readFileSync(file, 'latin1').includes('Cli-Canary'), file).toBe(false);
      expect(test.stdout + test.stderr).not.toContain('Cli-Canary');
    } finally {
      removeDir(dataDir);
    }
  });

  it('check, apply, test and restore by address on the managed workstation: TrustedHosts only with --confirm-ntlm-only, and everything back', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    const lab = 'tests/lab/managed-workstation.json';
    const hosts = ['--lab', lab, '--jump', '192.168.10.11', '--target', 'mem2.company.pri', '--account', 'COMPANY\\Administrator'];
    try {
      const check = credhop(['check', ...hosts, '--confirm-ntlm-only'], { dataDir });
      expect(check.stdout).toMatch(/192\.168\.10\.11 is not in this computer's TrustedHosts/);
      expect(check.stdout).toMatch(/Nothing was changed\..*--confirm-ntlm-only/);
      expect(check.code).toBe(1);
      const unconfirmed = credhop(['apply', ...hosts], { dataDir });
      expect(unconfirmed.code).toBe(1);
      expect(credhop(['journal', '--lab', lab], { dataDir }).stdout).not.toMatch(/Unrestored:/);
      const apply = credhop(['apply', ...hosts, '--confirm-ntlm-only'], { dataDir });
      expect(apply.stdout).toMatch(/Added 192\.168\.10\.11 to this computer's TrustedHosts \(WinRM started for it\)/);
      expect(apply.stdout).toMatch(/wsman\/192\.168\.10\.11/);
      expect(apply.stdout).toMatch(/Applied and verified/);
      expect(apply.code).toBe(0);
      const test = credhop(['test', ...hosts], { dataDir });
      expect(test.stdout).toMatch(/The hop works/);
      expect(test.code).toBe(0);
      const restore = credhop(['restore', '--lab', lab, '--json'], { dataDir });
      expect((JSON.parse(restore.stdout) as { clean: boolean }).clean).toBe(true);
      expect(restore.code).toBe(0);
      const status = JSON.parse(credhop(['status', '--lab', lab, '--json'], { dataDir }).stdout) as { client: { trustedHosts: unknown; winrmService: unknown }; open: unknown[] };
      expect(status).toMatchObject({ client: { trustedHosts: { value: '', policyOwned: false }, winrmService: { status: 'Stopped', startType: 'Manual' } }, open: [] });
    } finally {
      removeDir(dataDir);
    }
  });

  it('practice on the managed workstation by address names its client (ws1) and passes end to end', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const r = credhop(['practice', '--lab', 'tests/lab/managed-workstation.json', '--jump', '192.168.10.11', '--confirm-ntlm-only'], { dataDir });
      expect(r.stdout).toMatch(/PRACTICE: COMPANY\\Administrator at ws1 -> 192\.168\.10\.11 -> /);
      expect(r.stdout).not.toMatch(/ at dc1 /);
      expect(r.stdout).toMatch(/Practice complete/);
      expect(r.code).toBe(0);
    } finally {
      removeDir(dataDir);
    }
  });

  it('exit 1 for a diagnosed failure: the jump server does not answer', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    const lab = join(dataDir, 'lab.json');
    writeFileSync(lab, JSON.stringify(articleLab({ adfs1: { reachable: false } })));
    try {
      const r = credhop(['plan', '--lab', lab, '--jump', 'adfs1.company.pri', '--target', 'mem2.company.pri', '--account', 'COMPANY\\Administrator'], { dataDir });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/Cause: adfs1\.company\.pri did not answer/);
    } finally {
      removeDir(dataDir);
    }
  });

  it('plan --profile reads a saved profile from the shared data folder (any case of its name)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const { ProfileStore } = await import('../../src/main/profiles/store');
      await new ProfileStore({ dataDir }).create({
        name: 'Article lab', jumpServer: 'adfs1', jumpServerConnectAs: 'adfs1.company.pri', target: 'mem2.company.pri',
        jumpAccount: 'COMPANY\\Administrator', targetAccount: null, probeCommand: 'hostname', timeBoxMinutes: 30, notes: '',
      });
      const r = credhop(['plan', '--practice', '--profile', 'article LAB'], { dataDir });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Allow this computer to delegate fresh credentials to wsman\/adfs1\.company\.pri/);
      const missing = credhop(['plan', '--practice', '--profile', 'No such profile'], { dataDir });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/no saved profile is called "No such profile"/);
    } finally {
      removeDir(dataDir);
    }
  });

  it('exit 2 for refused input, with the reason and nothing run', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const r = credhop(['apply', '--practice', '--jump', "adfs1'; Remove-Item C:\\ -Recurse; '", '--target', 'mem2', '--account', 'COMPANY\\Administrator'], { dataDir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--jump:/);
      expect(existsSync(join(dataDir, 'practice', 'journal.jsonl'))).toBe(false);
      const noPassword = credhop(['test', '--jump', 'adfs1.company.pri', '--target', 'mem2.company.pri', '--account', 'COMPANY\\Administrator'], { dataDir });
      expect(noPassword.code).toBe(2);
      expect(noPassword.stderr).toMatch(/--password-stdin/);
    } finally {
      removeDir(dataDir);
    }
  });

  it('check reads both machines and prints the plan; plan is the same command; a blocked plan says why first and that nothing changed', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    const blockedLab = join(dataDir, 'blocked.json');
    writeFileSync(blockedLab, JSON.stringify(articleLab({ adfs1: { domainPolicy: { winrmServiceAllowCredSSP: 0 } } })));
    try {
      const check = credhop(['check', '--practice', '--json'], { dataDir });
      expect(check.code).toBe(0);
      const checked = JSON.parse(check.stdout) as { plan: { changes: { change: { kind: string } }[]; blockers: unknown[] } };
      expect(checked.plan.changes.map((c) => c.change.kind)).toEqual(['add-delegation', 'client-credssp', 'server-credssp']);
      const plan = credhop(['plan', '--practice'], { dataDir });
      expect(plan.code).toBe(0);
      expect(plan.stdout).toMatch(/^- \[client\] Allow this computer to delegate fresh credentials to wsman\/adfs1\.company\.pri/m);
      expect(plan.stdout).toMatch(/-Name '1' -Value 'wsman\/adfs1\.company\.pri'/); // the exact value name, not a placeholder
      // (its own data folder: a lab's state persists in the data folder, whatever lab file comes next)
      const blocked = credhop(['check', '--lab', blockedLab], { dataDir: join(dataDir, 'blocked') });
      expect(blocked.code).toBe(1);
      expect(blocked.stdout.split('\n')[0]).toBe('Blocked: A Group Policy controls CredSSP in the WinRM service of adfs1.company.pri, so CredHop cannot turn it on. Nothing was changed.');
      // --jump-server is the wizard's word; a refused value names the option as typed.
      const refused = credhop(['check', '--practice', '--jump-server', 'adfs1..company.pri'], { dataDir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^credhop: --jump-server: /);
    } finally {
      removeDir(dataDir);
    }
  }, 180_000);

  it('doctor: a read-only self-test, each line OK or what to do; status in real mode off Windows points to --practice', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const practice = credhop(['doctor', '--practice'], { dataDir });
      expect(practice.stdout).toMatch(new RegExp(`^CredHop ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
      expect(practice.stdout).toMatch(/^OK {2}\s+PowerShell\s+PowerShell 7\.\d+\.\d+ \(Core\) at .*pwsh, with CredHop's module and the practice lab loaded\./m);
      // Which PowerShell was chosen and why, and what its edition means (the jump server runs 5.1 anyway).
      expect(practice.stdout).toMatch(/Why this one: PowerShell 7 that scripts\/setup\.sh installed/);
      expect(practice.stdout).toMatch(/^OK {2}\s+Edition\s+Practice \(the lab's client\): PowerShell 7\.6 \(LTS\)\..*jump server run in its default remoting endpoint, Windows PowerShell 5\.1/m);
      expect(practice.stdout).toMatch(/^OK {2}\s+Elevation\s+Practice: the lab's DC1 runs as administrator/im);
      expect(practice.stdout).toMatch(/^OK {2}\s+Language mode\s+FullLanguage/m);
      expect(practice.stdout).toMatch(/^OK {2}\s+Execution policy\s+/m);
      expect(practice.stdout).toMatch(/^--\s+WinRM service\s+Practice: the lab simulates WinRM/m);
      expect(practice.stdout).toMatch(/^(OK|WARN)\s+Keychain\s+/m);
      expect(practice.stdout).toMatch(/^OK {2}\s+Data folder\s+.*\(writable\)/m);
      expect(practice.stdout).toMatch(/^OK {2}\s+Practice lab\s+Practice mode is on, and the lab is loaded\./m);
      expect(practice.code).toBe(0);

      const real = credhop(['doctor', '--json'], { dataDir });
      const report = JSON.parse(real.stdout) as { version: string; practiceMode: boolean; lines: { check: string; level: string; found: string }[] };
      expect(report.practiceMode).toBe(false);
      expect(report.version).toBe(VERSION);
      const line = (name: string) => report.lines.find((l) => l.check === name)!;
      expect(line('winrm')).toMatchObject({ level: 'n/a', found: expect.stringMatching(/Not applicable here/) });
      expect(line('elevation')).toMatchObject({ level: 'n/a', found: expect.stringMatching(/real mode needs Windows/) });
      expect(line('language-mode').found).toBe('FullLanguage.');
      expect(real.code).toBe(0);
      // Read-only: the self-test left nothing behind but what the data folder held before.
      expect(readdirSync(dataDir).filter((n) => n.startsWith('.doctor'))).toEqual([]);

      const status = credhop(['status'], { dataDir });
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(/real mode needs Windows/);
      expect(status.stderr).toMatch(/--practice/);
    } finally {
      removeDir(dataDir);
    }
  }, 180_000);

  it('runbook: writes the wizard\'s exported script for the practice lab or for --jump/--target/--account, never over a file', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    const lab = join(dataDir, 'lab.json');
    writeFileSync(lab, JSON.stringify(articleLab()));
    const file = join(dataDir, 'CredHop-practice.ps1');
    try {
      const written = credhop(['runbook', '--practice', '--out', file], { dataDir });
      expect(written.code).toBe(0);
      expect(written.stdout).toMatch(/^Wrote .*CredHop-practice\.ps1: 3 change\(s\) for adfs1\.company\.pri -> mem2\.company\.pri\./);
      const bytes = readFileSync(file);
      // UTF-8 with a byte order mark: Windows PowerShell 5.1 reads a file without one as ANSI.
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = bytes.subarray(3).toString('utf8');
      expect(text.startsWith('#Requires -RunAsAdministrator\r\n')).toBe(true);
      expect(text).toContain("New-ItemProperty -LiteralPath $list -Name '1' -Value 'wsman/adfs1.company.pri' -PropertyType String");
      expect(text).toContain("Restore-CredHopPolicyEntry -List 'AllowFreshCredentials' -Name '1' -Value 'wsman/adfs1.company.pri'");
      expect(text).toContain("$cred = Get-Credential -UserName 'COMPANY\\Administrator'");
      // An existing file is never overwritten: refused, and left as it was.
      const again = credhop(['runbook', '--practice', '--out', file], { dataDir });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/--out: ".*" already exists; nothing was written/);
      expect(readFileSync(file)).toEqual(bytes);
      // Without --out: printed (for a pipe), here by host names over a lab file; --json wraps it with the file name the wizard offers.
      const hosts = ['--lab', lab, '--jump', 'adfs1.company.pri', '--target', 'mem2.company.pri', '--account', 'COMPANY\\Administrator'];
      const printed = credhop(['runbook', ...hosts], { dataDir: join(dataDir, 'by-host') });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toMatch(/^#Requires -RunAsAdministrator\r\n# CredHop runbook: CredSSP for the second hop dc1 -> adfs1\.company\.pri -> mem2\.company\.pri/);
      const json = JSON.parse(credhop(['runbook', ...hosts, '--json'], { dataDir: join(dataDir, 'by-host') }).stdout) as { content: string; suggestedFileName: string };
      expect(json.suggestedFileName).toBe('CredHop-COMPANY-Administrator-via-adfs1.company.pri-to-mem2.company..ps1'); // (the wizard's rule: 60 characters of the profile name)
      expect(json.content).toContain('param([switch]$Restore)');
    } finally {
      removeDir(dataDir);
    }
  }, 180_000);

  it('help lists the commands and the exit codes', () => {
    const r = credhop(['help'], { dataDir: tmpdir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/practice/);
    expect(r.stdout).toMatch(/^ {2}check {6}read both machines and show the plan/m);
    expect(r.stdout).toMatch(/^ {2}doctor {5}a read-only self-test/m);
    expect(r.stdout).toMatch(/^ {2}runbook {4}read both machines and write the plan as a PowerShell runbook/m);
    expect(r.stdout).toMatch(/^ {2}--out <file> {13}runbook: the \.ps1 file to write/m);
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 a diagnosed failure/);
    // --version is a command of its own, not an unknown one: the app's and the command line's version
    for (const spelled of ['--version', 'version']) {
      const v = credhop([spelled], { dataDir: tmpdir() });
      expect(v.stderr).toBe('');
      expect(v.stdout).toBe(`credhop ${VERSION} (the CredHop app and its command line)\n`);
      expect(v.code).toBe(0);
    }
  });

  it('--lab with a path relative to where the command is typed: the lab is found and used', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-'));
    try {
      const r = credhop(['status', '--lab', 'default-lab.json', '--json'], { dataDir, cwd: resolve('tests/lab') });
      expect(r.stderr).not.toMatch(/does not exist/);
      expect(JSON.parse(r.stdout)).toMatchObject({ client: { computerName: 'dc1' }, open: [] });
      expect(r.code).toBe(0);
    } finally {
      removeDir(dataDir);
    }
  }, 180_000);
});
