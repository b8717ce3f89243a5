import { describe, expect, it } from 'vitest';
import { editionNote } from '../../src/main/powershell/editions';
import { folderWritableByOthers } from '../../src/main/powershell/folder-acl';
import { candidates, choosePowerShell, notFoundSummary, resolvePowerShell } from '../../src/main/powershell/resolve';
import { foldersFromRegistry, sddlFromIcaclsSave, system32FromModules } from '../../src/main/powershell/windows-folders';
import { buildCall, encodePayload, parseAnswer } from '../../src/main/powershell/protocol';

describe('resolving PowerShell', () => {
  // What Windows itself reports (the loader, HKLM); the environment is a user's and must change nothing.
  const folders = {
    system32: 'C:\\Windows\\System32',
    programFiles: ['C:\\Program Files'],
    pwshInstalls: [
      { folder: 'C:\\Program Files\\PowerShell\\7-preview', version: '7.4.6' },
      { folder: 'C:\\Program Files\\PowerShell\\7', version: '7.6.9' },
    ],
  };
  const hostileEnv = {
    ProgramFiles: 'C:\\Users\\eve\\fake',
    SystemRoot: 'C:\\Users\\eve\\win',
    windir: 'C:\\Users\\eve\\win',
    PATH: 'C:\\Users\\eve\\AppData\\Local\\Microsoft\\WindowsApps;C:\\Tools;relative\\dir',
    NODE_POWERSHELL: 'C:\\evil\\pwsh.exe',
  };
  const safe = (): { writableByOthers: boolean; who: string[] } => ({ writableByOthers: false, who: [] });
  const win = { platform: 'win32' as const, appRoot: 'C:\\Program Files\\CredHop', env: hostileEnv, windows: folders, folderCheck: safe };

  it('on Windows prefers the newest PowerShell 7 installed for all users, then Windows PowerShell 5.1', () => {
    const list = candidates(win);
    expect(list[0]).toMatchObject({ path: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', source: 'program-files', kind: 'pwsh' });
    expect(list.at(-1)).toMatchObject({ path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', kind: 'windows-powershell', source: 'system32' });
    const only51 = choosePowerShell({ ...win, exists: (p) => p.endsWith('powershell.exe') });
    expect(only51.chosen).toMatchObject({ kind: 'windows-powershell', source: 'system32' });
    expect(only51.chosen?.why).toMatch(/Windows PowerShell 5\.1/);
  });

  it('never takes a folder from PATH, WindowsApps or environment variables a user can set (windir, ProgramFiles)', () => {
    const paths = candidates(win).map((c) => c.path.toLowerCase());
    expect(paths.some((p) => p.includes('eve') || p.includes('evil') || p.includes('windowsapps') || p.includes('tools') || p.startsWith('relative'))).toBe(false);
    expect(candidates(win).some((c) => c.source === 'path' || c.source === 'bundled-tools')).toBe(false);
  });

  it('passes over a PowerShell whose folder users can write to, and says so', () => {
    const choice = choosePowerShell({
      ...win,
      exists: () => true,
      folderCheck: (folder) => (folder.endsWith('\\7') ? { writableByOthers: true, who: ['Users'] } : { writableByOthers: false, who: [] }),
    });
    expect(choice.chosen?.path).toBe('C:\\Program Files\\PowerShell\\7-preview\\pwsh.exe');
    expect(choice.skipped).toEqual([{ path: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', reason: expect.stringMatching(/can be changed by Users/) }]);
  });

  it('refuses a configured PowerShell outside Program Files and the Windows folder, and one it cannot verify', () => {
    const planted = choosePowerShell({ ...win, configured: 'C:\\Users\\eve\\AppData\\Local\\Microsoft\\WindowsApps\\pwsh.exe', exists: () => true });
    expect(planted.chosen).toBeNull();
    expect(planted.skipped[0]?.reason).toMatch(/not under Program Files or the Windows folder/);
    const escape = choosePowerShell({ ...win, configured: 'C:\\Program Files\\..\\Users\\eve\\pwsh.exe', exists: () => true });
    expect(escape.chosen).toBeNull();
    const unknown = choosePowerShell({ ...win, configured: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', exists: () => true, folderCheck: () => null });
    expect(unknown.chosen).toBeNull();
    expect(unknown.skipped[0]?.reason).toMatch(/could not be read/);
    expect(notFoundSummary('win32', 'C:\\Users\\eve\\AppData\\Local\\Microsoft\\WindowsApps\\pwsh.exe', planted.skipped)).toMatch(/cannot be used: it is not under Program Files/);
    const missing = choosePowerShell({ ...win, configured: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', exists: () => false });
    expect(notFoundSummary('win32', 'C:\\Program Files\\PowerShell\\7\\pwsh.exe', missing.skipped)).toMatch(/was not found\. Choose another/);
  });

  it('trusts nothing on Windows when Windows could not say where its folders are', () => {
    expect(choosePowerShell({ ...win, windows: undefined, exists: () => true }).chosen).toBeNull();
    const noLoader = choosePowerShell({ ...win, windows: { system32: null, programFiles: [], pwshInstalls: [] }, configured: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', exists: () => true });
    expect(noLoader.chosen).toBeNull();
  });

  it('honours a configured executable or reports it missing, never substituting another', () => {
    expect(resolvePowerShell({ ...win, configured: 'D:\\pwsh\\pwsh.exe', exists: () => false })).toBeNull();
    expect(resolvePowerShell({ platform: 'linux', env: {}, appRoot: '/app', configured: '/opt/pwsh', exists: (p) => p === '/opt/pwsh' })).toMatchObject({ path: '/opt/pwsh', source: 'configured' });
  });

  it('off Windows (development, practice) uses the setup script\'s PowerShell, then PATH', () => {
    const linux = { platform: 'linux' as const, env: { PATH: '/usr/bin:relative' }, appRoot: '/app' };
    expect(candidates(linux).map((c) => c.path)).toEqual(['/app/.tools/pwsh/pwsh', '/usr/bin/pwsh']);
    expect(resolvePowerShell({ ...linux, exists: () => false })).toBeNull();
  });
});

describe('who may write into a folder (its SDDL)', () => {
  // Program Files on Windows 10/11: TrustedInstaller, SYSTEM and Administrators modify; Users read and run.
  const programFiles =
    'D:PAI(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;OICIIO;GA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;OICIIO;GA;;;CO)(A;;0x1200a9;;;AC)(A;OICIIO;GXGR;;;AC)';
  it('Program Files: only administrators', () => {
    expect(folderWritableByOthers(programFiles)).toEqual({ writableByOthers: false, who: [] });
  });
  it('a folder under the drive root where Authenticated Users may add folders, or a user\'s own folder', () => {
    expect(folderWritableByOthers('D:AI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)(A;CI;0x4;;;AU)(A;OICIIO;SDGXGWGR;;;AU)')).toEqual({ writableByOthers: true, who: ['Authenticated Users'] });
    expect(folderWritableByOthers('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;S-1-5-21-1-2-3-1001)').who).toEqual(['S-1-5-21-1-2-3-1001']);
    expect(folderWritableByOthers('D:(A;OICI;GW;;;WD)').who).toEqual(['Everyone']);
  });
  it('counts what it cannot read as writable', () => {
    expect(folderWritableByOthers('O:BAG:SY').writableByOthers).toBe(true);
    expect(folderWritableByOthers('').writableByOthers).toBe(true);
  });
});

describe('asking Windows for its folders', () => {
  it('takes System32 from the loaded ntdll.dll, not from the environment', () => {
    expect(system32FromModules(['C:\\Program Files\\CredHop\\CredHop.exe', 'C:\\WINDOWS\\SYSTEM32\\ntdll.dll', 'C:\\WINDOWS\\System32\\KERNEL32.DLL'])).toBe('C:\\WINDOWS\\SYSTEM32');
    expect(system32FromModules(['/usr/lib/libc.so.6'])).toBeNull();
  });
  it('reads Program Files and PowerShell 7 installations from reg query', () => {
    const cv = [
      '',
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion',
      '    ProgramFilesDir    REG_SZ    C:\\Program Files',
      '    CommonFilesDir    REG_SZ    C:\\Program Files\\Common Files',
      '    ProgramW6432Dir    REG_SZ    C:\\Program Files',
      '    ProgramFilesPath    REG_EXPAND_SZ    %ProgramFiles%',
      '',
    ].join('\r\n');
    const core = [
      '',
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PowerShellCore\\InstalledVersions\\31ab5147-9a97-4452-8443-d9709f0516e1',
      '    SemanticVersion    REG_SZ    7.4.6',
      '    InstallLocation    REG_SZ    C:\\Program Files\\PowerShell\\7\\',
      '',
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PowerShellCore\\InstalledVersions\\39243d76-adaf-42b1-94fb-16ecf83237c8',
      '    SemanticVersion    REG_SZ    7.6.9',
      '    InstallLocation    REG_SZ    relative\\folder',
      '',
    ].join('\r\n');
    expect(foldersFromRegistry(cv, core)).toEqual({
      programFiles: ['C:\\Program Files'],
      pwshInstalls: [{ folder: 'C:\\Program Files\\PowerShell\\7', version: '7.4.6' }],
    });
    expect(foldersFromRegistry('', '')).toEqual({ programFiles: [], pwshInstalls: [] });
  });
  it('reads the SDDL line of an icacls /save file (UTF-16LE)', () => {
    const file = Buffer.from('7\r\nD:PAI(A;;FA;;;SY)\r\n', 'utf16le');
    expect(sddlFromIcaclsSave(file)).toBe('D:PAI(A;;FA;;;SY)');
  });
});

describe('what the PowerShell edition means for the operator', () => {
  const dec2026 = new Date(Date.UTC(2026, 11, 7));
  it('names each edition and whether it is still supported', () => {
    expect(editionNote('5.1.19041.5247', 'Desktop', dec2026)).toMatchObject({ label: 'Windows PowerShell 5.1', level: 'ok' });
    expect(editionNote('7.4.6', 'Core', dec2026)).toMatchObject({ label: 'PowerShell 7.4 (LTS)', level: 'warn', meaning: expect.stringMatching(/ended on 10 November 2026/) });
    expect(editionNote('7.4.6', 'Core', new Date(Date.UTC(2026, 5, 1)))).toMatchObject({ level: 'ok', meaning: expect.stringMatching(/ends on 10 November 2026/) });
    expect(editionNote('7.6.9', 'Core', dec2026)).toMatchObject({ label: 'PowerShell 7.6 (LTS)', level: 'ok' });
    expect(editionNote('7.2.1', 'Core', dec2026)).toMatchObject({ level: 'warn', meaning: expect.stringMatching(/out of support/) });
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
