// The app's diagnostic log: JSON lines of fixed, known fields (events, channel names, error codes),
// never free text from requests or PowerShell, so no password or user value can land in it.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { UsageLogEvent } from './profiles/usage';

export type LogEvent =
  | { event: 'shell-started'; count: number }
  | { event: 'shell-exited'; code: number | null; signal: string | null; expected: boolean }
  | { event: 'shell-timeout'; timeoutMs: number }
  | { event: 'shell-cancelled' }
  | { event: 'ipc'; channel: string; outcome: string; code?: string | undefined }
  | UsageLogEvent;

const MAX_BYTES = 1_000_000;

export class DiagnosticLog {
  readonly file: string;

  constructor(dataDir: string) {
    const dir = join(dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'credhop.log');
  }

  write(entry: LogEvent): void {
    try {
      if ((statSync(this.file, { throwIfNoEntry: false })?.size ?? 0) > MAX_BYTES) renameSync(this.file, `${this.file}.1`);
      appendFileSync(this.file, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
    } catch {
      // Logging must never break the app.
    }
  }
}
