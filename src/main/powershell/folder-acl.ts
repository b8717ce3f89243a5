// Decides, from a folder's security descriptor (SDDL, as `icacls <folder> /save` writes it), whether an
// account that is not an administrator can put a file there. CredHop runs elevated, so a PowerShell in
// such a folder (or a DLL planted beside it) would run as administrator: it is never started from one.
// Pure: the SDDL is read on Windows by windows-folders.ts.

/** Principals that may write where elevated code lives: SYSTEM, Administrators, TrustedInstaller. */
const TRUSTED_SIDS = new Set(['SY', 'BA', 'S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464']);

/** Well-known SDDL aliases, named for the operator. */
const NAMES: Record<string, string> = {
  WD: 'Everyone',
  AU: 'Authenticated Users',
  BU: 'Users',
  IU: 'Interactive users',
  DU: 'Domain Users',
  CO: 'the creator of each new item',
  OW: 'the owner',
  PU: 'Power Users',
  AC: 'all app packages',
};

// Rights that let an account add or replace a file, or give itself that right.
// File rights: FA all, FW write, and the generic GA/GW; standard WD (write DAC), WO (write owner), SD (delete).
const WRITE_CODES = new Set(['FA', 'FW', 'GA', 'GW', 'WD', 'WO', 'SD', 'DC', 'CC', 'WP']);
// Their bits: FILE_ADD_FILE 0x2, FILE_ADD_SUBDIRECTORY 0x4, FILE_WRITE_EA 0x10, FILE_DELETE_CHILD 0x40,
// FILE_WRITE_ATTRIBUTES 0x100 is harmless alone; DELETE 0x10000, WRITE_DAC 0x40000, WRITE_OWNER 0x80000,
// GENERIC_ALL 0x10000000, GENERIC_WRITE 0x40000000.
const WRITE_MASK = 0x2 | 0x4 | 0x40 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000;

export interface FolderVerdict {
  /** True when someone other than SYSTEM, Administrators or TrustedInstaller may write into the folder. */
  writableByOthers: boolean;
  /** Who may write, in plain words ("Users", "Authenticated Users", or a SID). */
  who: string[];
}

function grantsWrite(rights: string): boolean {
  if (/^0x[0-9a-f]+$/i.test(rights)) return (Number.parseInt(rights, 16) & WRITE_MASK) !== 0;
  for (let i = 0; i + 2 <= rights.length; i += 2) {
    if (WRITE_CODES.has(rights.slice(i, i + 2).toUpperCase())) return true;
  }
  return false;
}

/**
 * Reads the DACL part of an SDDL string. Allow ACEs that apply to the folder itself (not inherit-only)
 * and grant any write right to an untrusted principal make it writable. An unparsable or empty
 * descriptor counts as writable: CredHop refuses what it cannot verify.
 */
export function folderWritableByOthers(sddl: string): FolderVerdict {
  const dacl = /D:[A-Z]*((?:\([^)]*\))*)/i.exec(sddl.trim());
  if (!dacl || dacl[1] === undefined || dacl[1] === '') return { writableByOthers: true, who: ['(the folder\'s permissions could not be read)'] };
  const who: string[] = [];
  for (const ace of dacl[1].matchAll(/\(([^)]*)\)/g)) {
    const [type = '', flags = '', rights = '', , , sid = ''] = (ace[1] ?? '').split(';');
    if (type.toUpperCase() !== 'A') continue;
    if (/IO/i.test(flags)) continue; // applies only to items created later, not to the folder itself
    const principal = sid.toUpperCase();
    if (TRUSTED_SIDS.has(principal)) continue;
    if (grantsWrite(rights)) who.push(NAMES[principal] ?? principal);
  }
  return { writableByOthers: who.length > 0, who: [...new Set(who)] };
}
