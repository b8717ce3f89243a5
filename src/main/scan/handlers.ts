// The Scan view's channels: start (progress as progress events), cancel, and the practice estate's list.
import { readFileSync } from 'node:fs';
import { AppError } from '../errors';
import type { HandlerGroup } from '../ipc/handler';
import type { HopEngine } from '../hop/engine';
import type { PowerShellEngine } from '../powershell/engine';
import { parseComputerList } from './computers';
import { runScan, sessionRefs } from './scanner';

export type ScanChannel = 'scanStart' | 'scanCancel' | 'scanPracticeList';

export interface ScanHandlerDeps {
  /** The engine scans run on: in practice mode one over the practice estate, else the app's own. */
  engine: () => PowerShellEngine | null;
  hop: () => HopEngine | null;
  practiceMode: () => boolean;
  /** The practice estate's list of names. */
  practiceNamesFile: string;
}

export function createScanHandlers(deps: ScanHandlerDeps): HandlerGroup<ScanChannel> {
  const running = new Map<string, AbortController>();
  return {
    scanStart: async (request, ctx) => {
      const list = parseComputerList(request.text);
      if (list.names.length === 0) {
        const first = list.problems[0];
        throw new AppError('refused', first ? `Line ${first.line}: ${first.message}` : 'The list names no machine.', 'Type or paste one computer name a line (or open a CSV file with a "name" column).');
      }
      const engine = deps.engine();
      if (!engine) throw new AppError('powershell-unavailable', 'CredHop found no PowerShell to run.', 'See Settings for what to install.');
      const abort = new AbortController();
      running.set(ctx.operationId, abort);
      try {
        return await runScan(engine, list.names, {
          throttle: request.throttle,
          signal: abort.signal,
          inputProblems: list.problems,
          sessions: sessionRefs(deps.hop()?.openSessions() ?? [], deps.practiceMode()),
          onProgress: (p) => {
            const slow = p.slowest ? ` · slowest still running: ${p.slowest.computer} (${Math.round(p.slowest.runningMs / 1000)} s)` : '';
            ctx.progress(`${p.done} of ${p.total} machines done${slow}`, { fraction: p.total > 0 ? p.done / p.total : 0 });
          },
        });
      } finally {
        running.delete(ctx.operationId);
      }
    },
    scanCancel: async (request) => {
      const abort = running.get(request.operationId);
      abort?.abort();
      return { cancelled: abort !== undefined };
    },
    scanPracticeList: async () => ({ text: deps.practiceMode() ? readFileSync(deps.practiceNamesFile, 'utf8') : null }),
  };
}
