// node-powershell on the real pwsh: one long-lived process, JSON back, noise ignored, timeouts,
// cancellation and a dead shell handled the way a user needs (a clear error, then a working retry).
import { afterEach, describe, expect, it } from 'vitest';
import { parseAnswer } from '../../src/main/powershell/protocol';
import { PowerShellShell, type ShellEvent } from '../../src/main/powershell/shell';
import { AppError } from '../../src/main/errors';
import { requirePwsh } from './pwsh-path';

const shells: PowerShellShell[] = [];
function makeShell(events: ShellEvent[] = [], bootstrap: string[] = []): PowerShellShell {
  const shell = new PowerShellShell({ executable: requirePwsh(), cwd: process.cwd(), bootstrap, defaultTimeoutMs: 30_000, onEvent: (e) => events.push(e) });
  shells.push(shell);
  return shell;
}

afterEach(async () => {
  await Promise.all(shells.splice(0).map((s) => s.dispose()));
});

const ANSWER = "[Console]::Out.WriteLine('CREDHOP:' + (ConvertTo-Json -Compress @{ ok = $true; data = @{ n = 1 + 1; v = $PSVersionTable.PSVersion.Major } }))";

describe('the PowerShell shell (real pwsh through node-powershell)', () => {
  it('reaches pwsh and gets JSON back, reusing one process for many calls', async () => {
    const shell = makeShell();
    for (let i = 0; i < 5; i += 1) {
      expect(parseAnswer(await shell.run(ANSWER))).toEqual({ ok: true, data: { n: 2, v: 7 } });
    }
    expect(shell.processesStarted).toBe(1);
  });

  it('is not broken by stderr output, warnings, verbose or progress noise', async () => {
    const shell = makeShell();
    const noisy = `[Console]::Error.WriteLine('stderr noise'); Write-Warning 'careful'; Write-Host 'host text'; Write-Progress -Activity a -Status b; ${ANSWER}`;
    expect(parseAnswer(await shell.run(noisy))).toEqual({ ok: true, data: { n: 2, v: 7 } });
  });

  it('stops a call that runs past its timeout, says so, and works again on the next call', async () => {
    const events: ShellEvent[] = [];
    const shell = makeShell(events);
    await shell.run(ANSWER);
    const error = await shell.run('Start-Sleep -Seconds 30', { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('timeout');
    expect((error as AppError).message).toMatch(/did not answer within 2 seconds/);
    expect(parseAnswer(await shell.run(ANSWER))).toMatchObject({ ok: true });
    expect(shell.processesStarted).toBe(2);
    expect(events.some((e) => e.kind === 'timeout')).toBe(true);
  });

  it('fails a prompt at once instead of waiting for an answer: the WSMan: drive\'s "Start WinRM Service" cannot hang CredHop or eat its next command', async () => {
    // Windows' WSMan: drive asks ShouldContinue before starting a stopped WinRM (ConfigProvider.cs); the
    // shell's -NonInteractive makes any such prompt throw (the provider swallows that and the call fails).
    const shell = makeShell();
    const ask = "function Ask { [CmdletBinding()] param() $PSCmdlet.ShouldContinue('WinRM service is not started currently. Running this command will start the WinRM service.', 'Start WinRM Service') }; "
      + "try { $r = 'answered ' + (Ask) } catch { $r = $_.Exception.Message }; [Console]::Out.WriteLine('CREDHOP:' + (ConvertTo-Json -Compress @{ ok = $true; data = $r }))";
    const answer = parseAnswer(await shell.run(ask, { timeoutMs: 20_000 }));
    expect(answer).toMatchObject({ ok: true });
    expect((answer as { data: string }).data).toMatch(/NonInteractive mode/);
    expect(parseAnswer(await shell.run(ANSWER))).toEqual({ ok: true, data: { n: 2, v: 7 } });
    expect(shell.processesStarted).toBe(1);
  });

  it('cancels a running call', async () => {
    const shell = makeShell();
    await shell.run(ANSWER);
    const controller = new AbortController();
    const pending = shell.run('Start-Sleep -Seconds 30', { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    expect(parseAnswer(await shell.run(ANSWER))).toMatchObject({ ok: true });
  });

  it('honours a cancel that arrives while PowerShell is still starting', async () => {
    const shell = makeShell([], ['Start-Sleep -Milliseconds 1500']); // a slow start, like a module import
    const started = Date.now();
    const controller = new AbortController();
    const pending = shell.run('Start-Sleep -Seconds 30', { signal: controller.signal });
    setTimeout(() => controller.abort(), 300); // while the start is still running
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(parseAnswer(await shell.run(ANSWER))).toMatchObject({ ok: true });
  });

  it('reports PowerShell dying mid-call and restarts transparently on the next call', async () => {
    const events: ShellEvent[] = [];
    const shell = makeShell(events);
    await shell.run(ANSWER);
    const firstPid = shell.pid;
    await expect(shell.run('[Environment]::Exit(3)')).rejects.toMatchObject({ code: 'powershell-failed' });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'exited', code: 3, expected: false }));
    expect(parseAnswer(await shell.run(ANSWER))).toMatchObject({ ok: true });
    expect(shell.pid).not.toBe(firstPid);
    expect(events.filter((e) => e.kind === 'started')).toHaveLength(2);
  });

  it('survives the process being killed from outside between calls', async () => {
    const shell = makeShell();
    await shell.run(ANSWER);
    process.kill(shell.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(parseAnswer(await shell.run(ANSWER))).toMatchObject({ ok: true });
    expect(shell.processesStarted).toBe(2);
  });
});
