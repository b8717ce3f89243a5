// The scan report as files: CSV (one row per finding; a clean machine gets one row saying so) and JSON.
import { FINDING_TITLES, type ScanReport } from './scan';

function cell(value: string): string {
  // Quoted always; a leading = + - @ would make a spreadsheet run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export const SCAN_CSV_HEADER = ['computer', 'status', 'finding', 'title', 'explanation', 'fix'] as const;

export function scanCsv(report: ScanReport): string {
  const rows: string[][] = [[...SCAN_CSV_HEADER]];
  for (const m of report.machines) {
    if (m.findings.length === 0) rows.push([m.computer, m.status, 'none', 'No finding', 'Nothing of CredSSP is on here.', '']);
    for (const f of m.findings) rows.push([m.computer, m.status, f.kind, FINDING_TITLES[f.kind], f.explanation, f.fix]);
  }
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

export function scanJson(report: ScanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Every fix of the report as one script an administrator reads and runs by hand (CredHop runs none of it). */
export function scanFixScript(report: ScanReport): string {
  const lines = [
    `# CredHop estate scan of ${report.startedAt}: the fixes, for an administrator to read and run by hand.`,
    '# CredHop changed nothing on these machines. Run each block only where you mean to.',
    '',
  ];
  for (const m of report.machines) {
    const own = m.findings.filter((f) => f.kind !== 'credhop-session');
    if (own.length === 0) continue;
    lines.push(`# ---- ${m.computer} ----`);
    for (const f of own) lines.push(`# ${FINDING_TITLES[f.kind]}: ${f.explanation.replace(/\r?\n/g, ' ')}`, f.fix, '');
  }
  return `${lines.join('\r\n')}\r\n`;
}
