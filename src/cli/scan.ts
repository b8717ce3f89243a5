// `credhop scan`: read CredSSP on many machines (read-only) and report what is on. Progress on stderr
// (done/total and the slowest machine still running), the report on stdout (text or --json).
// Exit codes: 0 nothing found, 1 something found (or the scan stopped before the end), 2 bad input.
import { readFileSync } from 'node:fs';
import { parseComputerList } from '../main/scan/computers';
import { runScan, sessionRefs, type ScanProgress } from '../main/scan/scanner';
import { practiceEstate } from '../main/paths';
import type { MainServices } from '../main/services';
import { FINDING_TITLES, type ScanReport } from '../shared/domain/scan';
import type { CliArgs } from './args';

export interface ScanIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export function scanLines(report: ScanReport): string[] {
  const lines: string[] = [];
  const found = report.machines.filter((m) => m.findings.length > 0).sort((a, b) => a.computer.localeCompare(b.computer));
  const clean = report.machines.length - found.length;
  for (const m of found) {
    lines.push(`${m.computer}:`);
    for (const f of m.findings) {
      lines.push(`  - ${FINDING_TITLES[f.kind]}: ${f.explanation}`);
      for (const l of f.fix.split('\n')) lines.push(`      ${l}`);
    }
  }
  if (found.length > 0) lines.push('');
  lines.push(`${report.machines.length} of ${report.total} machines read: ${found.length} with findings, ${clean} clean.`);
  if (report.stoppedBecause) lines.push(report.stoppedBecause);
  return lines;
}

export async function scanCommand(args: CliArgs, services: MainServices, io: ScanIo): Promise<number> {
  const file = args.computers ?? (services.practiceMode ? practiceEstate(services.layout).namesFile : null);
  if (file === null) {
    io.stderr('credhop: scan needs --computers <file>.\n');
    return 2;
  }
  const list = parseComputerList(readFileSync(file, 'utf8'));
  if (list.problems.length > 0) {
    for (const p of list.problems) io.stderr(`credhop: ${file}${p.line > 0 ? `, line ${p.line}` : ''}: ${p.text ? `"${p.text}": ` : ''}${p.message}\n`);
    io.stderr('Nothing was scanned. Correct those lines (or remove them), then run the scan again.\n');
    return 2;
  }
  if (list.names.length === 0) {
    io.stderr(`credhop: ${file} names no machine.\n`);
    return 2;
  }
  const engine = services.engine();
  const hop = services.hop();
  if (!engine || !hop) {
    io.stderr('credhop: no PowerShell was found. Run `bash scripts/setup.sh`, or pass --pwsh <path>.\n');
    return 1;
  }
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let last = 0;
  const onProgress = (p: ScanProgress): void => {
    if (args.json) return;
    const now = Date.now();
    if (p.done !== p.total && now - last < 1000) return; // at most a line a second
    last = now;
    const slow = p.slowest ? `; slowest still running: ${p.slowest.computer} (${Math.round(p.slowest.runningMs / 1000)} s)` : '';
    io.stderr(`  … ${p.done}/${p.total} machines done${slow}\n`);
  };
  try {
    const report = await runScan(engine, list.names, {
      throttle: args.throttle ?? undefined,
      signal: abort.signal,
      onProgress,
      sessions: sessionRefs(hop.openSessions(), services.practiceMode),
    });
    io.stdout(args.json ? `${JSON.stringify(report)}\n` : `${scanLines(report).join('\n')}\n`);
    return report.complete && report.machines.every((m) => m.findings.length === 0) ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
