import { describe, expect, it } from 'vitest';
import { candidates, resolvePowerShell } from '../../src/main/powershell/resolve';
import { buildCall, encodePayload, parseAnswer } from '../../src/main/powershell/protocol';

describe('resolving PowerShell', () => {
  const win = { platform: 'win32' as const, appRoot: 'C:\\Program Files\\CredHop', env: { ProgramFiles: 'C:\\Program Files', PATH: 'C:\\Tools;relative\\dir', SystemRoot: 'C:\\Windows', NODE_POWERSHELL: 'C:\\evil\\pwsh.exe' } };

  it('prefers PowerShell 7 and falls back to Windows PowerShell 5.1 on Windows', () => {
    const list = candidates(win).map((c) => c.source);
    expect(list[0]).toBe('bundled-tools');
    expect(list).toContain('program-files');
    expect(list.at(-1)).toBe('system32');
    const only51 = resolvePowerShell({ ...win, exists: (p) => p.endsWith('powershell.exe') });
    expect(only51).toMatchObject({ kind: 'windows-powershell', source: 'system32' });
  });

  it('ignores NODE_POWERSHELL and relative PATH entries', () => {
    const paths = candidates(win).map((c) => c.path);
    expect(paths.some((p) => p.includes('evil'))).toBe(false);
    expect(paths.some((p) => p.startsWith('relative'))).toBe(false);
  });

  it('honours a configured executable or reports it missing, never substituting another', () => {
    expect(resolvePowerShell({ ...win, configured: 'D:\\pwsh\\pwsh.exe', exists: () => false })).toBeNull();
    expect(resolvePowerShell({ platform: 'linux', env: {}, appRoot: '/app', configured: '/opt/pwsh', exists: (p) => p === '/opt/pwsh' })).toMatchObject({ path: '/opt/pwsh', source: 'configured' });
  });

  it('finds nothing when nothing exists', () => {
    expect(resolvePowerShell({ platform: 'linux', env: { PATH: '/usr/bin' }, appRoot: '/app', exists: () => false })).toBeNull();
  });
});

describe('the call protocol', () => {
  it('sends values only as base64, whatever they contain', () => {
    const hostile = { spn: "wsman/x'; Remove-Item C:\\ -Recurse; '$(calc)`\n" };
    const line = buildCall('Invoke-CredHop', 'AddDelegation', hostile);
    expect(line).toMatch(/^Invoke-CredHop -Primitive 'AddDelegation' -Payload '[A-Za-z0-9+/=]+'$/);
    expect(line).not.toContain('Remove-Item');
    expect(JSON.parse(Buffer.from(encodePayload(hostile), 'base64').toString('utf8'))).toEqual(hostile);
  });

  it('refuses a primitive name that is not a plain word', () => {
    expect(() => buildCall('Invoke-CredHop', "GetHostState'; calc; '", {})).toThrow(/not a primitive/);
  });

  it('reads the last marked line and ignores noise', () => {
    expect(parseAnswer('WARNING: noise\nCREDHOP:{"ok":true,"data":1}\r\n')).toEqual({ ok: true, data: 1 });
    expect(parseAnswer('nothing here')).toBeNull();
    expect(parseAnswer('CREDHOP:{broken')).toBeNull();
  });
});

describe('reading answers from a real terminal-ish pwsh', () => {
  it('ignores the terminal mode switches pwsh writes around its prompt', () => {
    expect(parseAnswer('\u001b[?1h\u001b[?1lCREDHOP:{"ok":true,"data":2}\n\u001b[?1h\u001b[?1l')).toEqual({ ok: true, data: 2 });
  });
});
