// Runs the estate scan through the PowerShell engine: the names go to the module's Scan primitive
// (one Invoke-Command over the list, throttled), each machine's answer comes back as it arrives and
// becomes its report at once. Cancel kills the call and keeps every answer that arrived.
import { z } from 'zod';
import type { OpenSession } from '../hop/journal';
import type { PowerShellEngine } from '../powershell/engine';
import { isAppError } from '../errors';
import { SCAN_LIMITS, type InputProblem, type MachineReport, type ScanReport } from '../../shared/domain/scan';
import { machineFindings, sameMachine, type SessionRef } from './findings';
import { scanItem } from './raw';

export interface ScanProgress {
  done: number;
  total: number;
  /** The machine that has been waited for longest, and for how long (null when none is running). */
  slowest: { computer: string; runningMs: number } | null;
  /** The machine that just answered. */
  machine?: MachineReport;
}

export interface ScanOptions {
  throttle?: number;
  openTimeoutMs?: number;
  operationTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  sessions?: readonly SessionRef[];
  inputProblems?: readonly InputProblem[];
}

const answer = z.object({ total: z.number(), answered: z.number(), failed: z.number(), throttle: z.number(), elapsedMs: z.number() });

/** The open sessions of the journal, as the machines they changed. */
export function sessionRefs(open: readonly OpenSession[], practice: boolean): SessionRef[] {
  return open
    .filter((s) => s.begin.practice === practice)
    .map((s) => ({ session: s.begin.session, profileName: s.begin.profileName, jumpServer: s.begin.jumpServer, client: s.begin.snapshot.client.computerName }));
}

/** Splits the list so each call's payload stays well under the module's limit (64 KiB of base64). */
function chunks(names: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const n of names) {
    if (cur.length > 0 && (size + n.length + 3 > 40_000 || cur.length >= 1500)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(n);
    size += n.length + 3;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export async function runScan(engine: PowerShellEngine, names: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const throttle = options.throttle ?? SCAN_LIMITS.throttleDefault;
  const open = options.openTimeoutMs ?? 30_000;
  const operation = options.operationTimeoutMs ?? 120_000;
  const startedAt = new Date();
  const t0 = Date.now();
  const machines: MachineReport[] = [];
  const answeredAt: number[] = [];
  const pending = new Map<string, number>(); // lower-cased name -> index in the list
  names.forEach((n, i) => pending.set(n.toLowerCase(), i));
  let stoppedBecause: string | null = null;

  const slowest = (): ScanProgress['slowest'] => {
    // Invoke-Command starts machines in list order as slots free up: the first name still waited for
    // has waited longest; it started when the answer that freed its slot arrived.
    let first: number | null = null;
    for (const i of pending.values()) if (first === null || i < first) first = i;
    if (first === null) return null;
    const k = first - throttle; // how many answers had to arrive before it started
    const started = k < 0 ? t0 : (answeredAt[k] ?? Date.now());
    return { computer: names[first]!, runningMs: Date.now() - started };
  };

  const onItem = (line: string): void => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return;
    }
    const item = scanItem.safeParse(json);
    if (!item.success) return;
    const typed = item.data.computer ?? '';
    // Report under the name as the user listed it.
    let listed = names.find((n) => n.toLowerCase() === typed.toLowerCase()) ?? names.find((n) => sameMachine(n, typed)) ?? typed;
    if (listed === '') listed = '(unknown)';
    pending.delete(listed.toLowerCase());
    answeredAt.push(Date.now());
    const report = machineFindings(listed, { ...item.data, elapsedMs: Date.now() - t0 }, options.sessions ?? []);
    machines.push(report);
    options.onProgress?.({ done: machines.length, total: names.length, slowest: slowest(), machine: report });
  };

  options.onProgress?.({ done: 0, total: names.length, slowest: null });
  try {
    for (const part of chunks(names)) {
      const waves = Math.ceil(part.length / throttle);
      await engine.call(
        'Scan',
        { computers: part, throttle, openTimeoutMs: open, operationTimeoutMs: operation },
        answer,
        { signal: options.signal, onItem, timeoutMs: 120_000 + waves * (open + operation) },
      );
    }
  } catch (error) {
    if (isAppError(error) && error.code === 'cancelled') stoppedBecause = 'The scan was cancelled; the machines below answered before that.';
    else stoppedBecause = `The scan stopped: ${error instanceof Error ? error.message : String(error)}`;
  }
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    practice: engine.practiceMode,
    throttle,
    total: names.length,
    complete: stoppedBecause === null && pending.size === 0,
    machines,
    inputProblems: [...(options.inputProblems ?? [])],
    stoppedBecause,
  };
}
