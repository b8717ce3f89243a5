import { describe, expect, it } from 'vitest';
import { consoleCommand, consoleInvocation, openConsole, type Spawner } from '../../src/main/hop/console';

const target = { jumpServer: 'adfs1.company.pri', account: 'COMPANY\\Administrator' };

describe('console command', () => {
  it('is Enter-PSSession with CredSSP, asking for the password in the console itself', () => {
    expect(consoleCommand(target)).toBe(
      "Enter-PSSession -ComputerName 'adfs1.company.pri' -Credential (Get-Credential -UserName 'COMPANY\\Administrator' -Message 'CredHop: password for COMPANY\\Administrator (CredSSP session on adfs1.company.pri)') -Authentication CredSSP",
    );
  });

  it('quotes values as PowerShell literals (a quote cannot end the string)', () => {
    const cmd = consoleCommand({ jumpServer: "evil'; Remove-Item x; '", account: 'A\u2019B@c.com' });
    expect(cmd).toContain("-ComputerName 'evil''; Remove-Item x; '''");
    expect(cmd).toContain("-UserName 'A\u2019\u2019B@c.com'");
  });

  it('runs Windows PowerShell by absolute path with an argument array', () => {
    const inv = consoleInvocation(target, { SystemRoot: 'D:\\Win' });
    expect(inv.file).toBe('D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(inv.args).toEqual(['-NoExit', '-Command', consoleCommand(target)]);
  });
});

describe('opening the console', () => {
  function fakeSpawn(fail = false) {
    const calls: { file: string; args: readonly string[]; options: object }[] = [];
    const spawn: Spawner = (file, args, options) => {
      calls.push({ file, args, options });
      const listeners: ((e: Error) => void)[] = [];
      if (fail) setTimeout(() => listeners.forEach((l) => l(new Error('ENOENT'))), 0);
      return { unref: () => undefined, once: (_e, l) => listeners.push(l) };
    };
    return { spawn, calls };
  }

  it('starts a detached console on Windows with real machines', async () => {
    const { spawn, calls } = fakeSpawn();
    const result = await openConsole(target, { platform: 'win32', practiceMode: false, env: { SystemRoot: 'C:\\Windows' }, spawn });
    expect(result).toEqual({ started: true, command: consoleCommand(target) });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.options).toMatchObject({ detached: true, shell: false });
    expect(calls[0]!.args.join(' ')).not.toMatch(/password\s*=|ConvertTo-SecureString/i);
  });

  it('only returns the command in practice mode, saying why', async () => {
    const { spawn, calls } = fakeSpawn();
    const result = await openConsole(target, { platform: 'win32', practiceMode: true, spawn });
    expect(result.started).toBe(false);
    expect(result.reason).toMatch(/Practice mode/);
    expect(calls).toHaveLength(0);
  });

  it('only returns the command off Windows', async () => {
    const { spawn, calls } = fakeSpawn();
    const result = await openConsole(target, { platform: 'linux', practiceMode: false, spawn });
    expect(result).toMatchObject({ started: false, reason: expect.stringMatching(/only on Windows/) });
    expect(calls).toHaveLength(0);
  });

  it('reports a console that could not start instead of throwing', async () => {
    const { spawn } = fakeSpawn(true);
    const result = await openConsole(target, { platform: 'win32', practiceMode: false, env: {}, spawn });
    expect(result).toMatchObject({ started: false, reason: expect.stringContaining('could not start') });
  });
});
