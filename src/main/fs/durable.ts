// Appends that survive a crash or power loss: the journal and the audit log both rely on a line being
// on disk before the effect it announces runs.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

let fsyncs = 0;
/** How many fsyncs this process has made through this module (the journal's and the audit log's): the benchmark and the counts test read it. */
export function durableSyncs(): number {
  return fsyncs;
}

/** fsync, counted. */
export function syncDurably(fd: number): void {
  fsyncSync(fd);
  fsyncs += 1;
}

/** Appends `text` to `file` (created owner-only) and flushes it to disk before returning. */
export function appendDurably(file: string, text: string): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, text);
    syncDurably(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (a rename) to disk. Windows cannot open a folder for that; NTFS journals renames itself. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    syncDurably(fd);
  } finally {
    closeSync(fd);
  }
}
