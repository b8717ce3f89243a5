// What the PowerShell CredHop found means for the operator, in plain words. Pure: from the version and
// edition PowerShell itself reports ($PSVersionTable), so practice labs that emulate 5.1 or 7.4 show it too.
// Support dates: PowerShell's support follows .NET's ("PowerShell Support Lifecycle", Microsoft Learn): 7.4 LTS
// (.NET 8) and 7.5 (.NET 9) ended on 10 November 2026; 7.6 is the current LTS; Windows PowerShell 5.1 is a
// component of Windows and supported with it.

export interface EditionNote {
  /** "Windows PowerShell 5.1", "PowerShell 7.4 (LTS)". */
  label: string;
  level: 'ok' | 'warn';
  /** What it means for this operator. */
  meaning: string;
}

/** The same sentence for every edition: the jump server and the scheduled restore do not run this PowerShell. */
export const ELSEWHERE =
  'Whatever runs here, the scripts CredHop sends to the jump server run in its default remoting endpoint, Windows PowerShell 5.1, and the scheduled restore runs powershell.exe (5.1) on each machine; CredHop is tested for that.';

function parts(version: string): [number, number] {
  const [major = Number.NaN, minor = Number.NaN] = version.split('.').map((x) => Number.parseInt(x, 10));
  return [major, minor];
}

export function editionNote(version: string, edition: string, today: Date = new Date()): EditionNote {
  const [major, minor] = parts(version);
  if (edition === 'Desktop' || major === 5) {
    return {
      label: `Windows PowerShell ${Number.isNaN(minor) ? version : `${major}.${minor}`}`,
      level: 'ok',
      meaning: 'Part of Windows and supported with it. CredHop works with it; no PowerShell 7 is needed on this computer.',
    };
  }
  if (major === 7 && (minor === 4 || minor === 5)) {
    // 7.4 (LTS, .NET 8) and 7.5 (.NET 9, whose support .NET extended to 24 months) both end with their .NET.
    const ended = today.getTime() >= Date.UTC(2026, 10, 10);
    return {
      label: `PowerShell ${major}.${minor}${minor === 4 ? ' (LTS)' : ''}`,
      level: ended ? 'warn' : 'ok',
      meaning: ended
        ? 'CredHop works with it, but its support ended on 10 November 2026 (no more security fixes): ask your IT department to install PowerShell 7.6 LTS.'
        : 'CredHop works with it. Its support ends on 10 November 2026: plan the move to PowerShell 7.6 LTS.',
    };
  }
  if (major === 7 && minor >= 6) {
    return { label: `PowerShell ${major}.${minor}${minor === 6 ? ' (LTS)' : ''}`, level: 'ok', meaning: 'A supported PowerShell 7. CredHop works with it.' };
  }
  return {
    label: `PowerShell ${version}`,
    level: 'warn',
    meaning: 'This PowerShell is out of support and CredHop is not tested with it. Install PowerShell 7.6 LTS, or let CredHop use Windows PowerShell 5.1 (remove this one, or set it in CredHop\'s settings).',
  };
}
