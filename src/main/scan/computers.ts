// The list of machines to scan, as typed, pasted or read from a file: one name a line (`#` comments and
// blank lines ignored), or a CSV whose header has a `name` or `ComputerName` column. Every name is
// checked by the same rules as a profile's host names; a bad line is reported with its number and
// never sent to PowerShell.
import { checkHostName } from '../../shared/domain/profile-rules';
import { SCAN_LIMITS, type InputProblem } from '../../shared/domain/scan';

export interface ComputerList {
  names: string[];
  problems: InputProblem[];
}

/** Splits one CSV line (RFC 4180 quotes, commas or semicolons as Excel writes them). */
function csvFields(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i += 1; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

const NAME_COLUMNS = ['name', 'computername', 'computer', 'dnshostname', 'hostname'];

export function parseComputerList(text: string): ComputerList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const names: string[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  let column: { index: number; sep: string } | null = null;
  let first = true;
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (first) {
      first = false;
      const sep = trimmed.includes(',') ? ',' : trimmed.includes(';') ? ';' : null;
      if (sep !== null) {
        const header = csvFields(trimmed, sep).map((h) => h.toLowerCase());
        const index = header.findIndex((h) => NAME_COLUMNS.includes(h));
        if (index < 0) {
          problems.push({ line: i + 1, text: trimmed.slice(0, 200), message: 'This looks like a CSV file, but no column is called "name" or "ComputerName". Add such a header, or give one name a line.' });
          return { names: [], problems };
        }
        column = { index, sep };
        continue;
      }
    }
    const value = column ? (csvFields(trimmed, column.sep)[column.index] ?? '') : trimmed;
    if (value === '') {
      problems.push({ line: i + 1, text: trimmed.slice(0, 200), message: 'No computer name on this line.' });
      continue;
    }
    const check = checkHostName(value);
    if (!check.ok) {
      problems.push({ line: i + 1, text: value.slice(0, 200), message: check.message });
      continue;
    }
    if (check.kind === 'ipv4') {
      // The scan connects with the operator's own sign-in (Kerberos), which cannot be used by address.
      problems.push({ line: i + 1, text: value.slice(0, 200), message: 'Scan by computer name: WinRM cannot use your own sign-in (Kerberos) with an IP address.' });
      continue;
    }
    const key = check.value.toLowerCase();
    if (seen.has(key)) continue; // the same machine twice is scanned once
    seen.add(key);
    names.push(check.value);
  }
  if (names.length > SCAN_LIMITS.maxComputers) {
    problems.push({ line: 0, text: '', message: `The list names ${names.length} machines; CredHop scans at most ${SCAN_LIMITS.maxComputers} at a time. Split the list.` });
  }
  return { names, problems };
}
