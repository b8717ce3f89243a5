// The audit log: one JSON line per change attempted — when, who, which profile and host, what changed
// from what to what, and the outcome. Never a password: entries are built from fixed fields only.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AuditEntry {
  at: string;
  /** The Windows account CredHop ran as on the client. */
  who: string;
  profile: string;
  host: string;
  action: string;
  from: string;
  to: string;
  outcome: 'ok' | 'failed' | 'skipped';
  session: string;
  detail?: string;
}

export class AuditLog {
  readonly file: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, 'audit.jsonl');
  }

  write(entry: AuditEntry): void {
    const clean: AuditEntry = {
      at: entry.at,
      who: entry.who,
      profile: entry.profile,
      host: entry.host,
      action: entry.action,
      from: entry.from,
      to: entry.to,
      outcome: entry.outcome,
      session: entry.session,
      ...(entry.detail ? { detail: entry.detail.slice(0, 500) } : {}),
    };
    appendFileSync(this.file, `${JSON.stringify(clean)}\n`, { mode: 0o600 });
  }

  /** The raw JSON lines, for export. */
  export(): string {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8') : '';
  }
}
