// One long-lived PowerShell process for the whole app, started on first need, reused for every call,
// restarted on the next call when it died, killed on timeout or cancellation (the only way to stop a
// running pipeline from outside), and never left holding a secret in node-powershell's history.
import type { ChildProcess } from 'node:child_process';
// Types only here: node-powershell (and its `debug`) load when the first PowerShell starts, not with the
// main bundle, so channels that need no PowerShell answer sooner at launch (#13, start-up).
import type { PowerShell } from 'node-powershell';
import { AppError } from '../errors';
import { itemLineReader, parseAnswer } from './protocol';
import { createChannelHome, deliverSecrets, SECRET_CHANNEL_ENV, type ChannelHome } from './secret-channel';

export type ShellEvent =
  | { kind: 'started'; pid: number | undefined; count: number }
  | { kind: 'exited'; code: number | null; signal: string | null; expected: boolean }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'cancelled' };

export interface ShellConfig {
  executable: string;
  cwd: string;
  /**
   * Constant PowerShell lines run after every start (encoding, module import). Never user values.
   * A function receives the start count (1 for the first process), for lines that run only once.
   */
  bootstrap: readonly string[] | ((start: number) => readonly string[]);
  defaultTimeoutMs: number;
  /** Extra environment for the child (e.g. practice-mode paths). */
  env?: Record<string, string>;
  onEvent?: (event: ShellEvent) => void;
}

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Secrets for this call, handed over on the secret channel while it runs (never in the command).
   * `channel` is the id the command names; see secret-channel.ts.
   */
  secrets?: { channel: string; values: readonly string[] } | undefined;
  /** Streamed items (`CREDHOP-ITEM:` lines) of this call, delivered while it runs (see protocol.ts). */
  onItem?: ((json: string) => void) | undefined;
}

interface Live {
  ps: PowerShell;
  child: ChildProcess;
  exited: boolean;
  /** Where this process's secret pipes live; tidied up when it exits. */
  home: ChannelHome;
  /** A fresh stand-in for node-powershell's exit promise, for one invocation (see exitPerInvocation). */
  nextExit: () => Promise<void>;
}

/**
 * node-powershell races every invocation against one exit promise that stays pending for the life of
 * the process, and a pending promise keeps every reaction registered on it: about 0.8 KB per call,
 * so a main process that runs the flow all day grows without end. This hands each invocation its own
 * exit promise instead, settled (through one reaction on the real one) when the process exits and
 * dropped with everything raced against it once the next invocation gets a new one.
 */
function exitPerInvocation(real: Promise<void>): () => Promise<void> {
  let settled: { ok: true } | { ok: false; error: unknown } | null = null;
  let current: { resolve: () => void; reject: (error: unknown) => void } | null = null;
  real.then(
    () => {
      settled = { ok: true };
      current?.resolve();
    },
    (error: unknown) => {
      settled = { ok: false, error };
      current?.reject(error);
    },
  );
  return () => {
    if (settled) return real; // settled: racing it leaves no lasting reaction
    const fresh = new Promise<void>((resolve, reject) => {
      current = { resolve, reject };
    });
    fresh.catch(() => undefined); // like the real one: nobody else awaits it
    return fresh;
  };
}

/**
 * Collects what a starting process writes to stdout (at most 64 KiB), and gives it whole once the
 * process has closed its output: 'exit' can come before the last 'data' event.
 */
function startOutput(child: ChildProcess): { all: () => Promise<string>; stop: () => void } {
  const chunks: string[] = [];
  let size = 0;
  const onData = (d: Buffer | string) => {
    const text = typeof d === 'string' ? d : d.toString('utf8');
    if (size < 65_536) chunks.push(text);
    size += text.length;
  };
  child.stdout?.on('data', onData);
  const closed = new Promise<void>((resolve) => {
    if (child.stdout === null || child.stdout.closed) resolve();
    else child.stdout.once('close', () => resolve());
  });
  return {
    all: async () => {
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      return chunks.join('');
    },
    stop: () => {
      child.stdout?.off('data', onData);
    },
  };
}

function childOf(ps: PowerShell): ChildProcess {
  // node-powershell keeps the child private; we need it to kill a stuck call and to see it die.
  return Reflect.get(ps, 'process') as ChildProcess;
}

export class PowerShellShell {
  private live: Live | null = null;
  private starting: Promise<Live> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private expectingExit = false;
  processesStarted = 0;

  constructor(private readonly config: ShellConfig) {}

  /** Runs one command (serialised with every other) and returns its stdout. */
  run(command: string, options: RunOptions = {}): Promise<string> {
    const next = this.queue.then(() => this.runNow(command, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  get isRunning(): boolean {
    return this.live !== null && !this.live.exited;
  }

  get pid(): number | undefined {
    return this.live?.child.pid;
  }

  /** Kills the process and waits until it is gone: a PowerShell still writing (the lab's state, a log) must not outlive its owner. */
  async dispose(): Promise<void> {
    const live = this.live;
    this.live = null;
    if (live && !live.exited) {
      this.expectingExit = true;
      const gone = new Promise<void>((resolve) => {
        live.child.once('exit', () => resolve());
        setTimeout(resolve, 5_000).unref();
      });
      live.child.kill('SIGKILL');
      await gone;
    }
  }

  private emit(event: ShellEvent): void {
    this.config.onEvent?.(event);
  }

  private async ensureStarted(): Promise<Live> {
    if (this.live && !this.live.exited) return this.live;
    if (!this.starting) {
      this.starting = this.start().finally(() => {
        this.starting = null;
      });
    }
    return this.starting;
  }

  private async start(): Promise<Live> {
    // node-powershell would otherwise run whatever NODE_POWERSHELL names, ignoring our resolved path.
    delete process.env.NODE_POWERSHELL;
    const [{ PowerShell: PowerShellProcess }, { default: createDebug }] = await Promise.all([import('node-powershell'), import('debug')]);
    // node-powershell logs every command through `debug` when DEBUG matches; commands carry payloads.
    createDebug.disable();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_POWERSHELL') env[k] = v;
    Object.assign(env, this.config.env ?? {});
    // The secret channel's prefix: known to this process only, never part of any command text.
    const home = createChannelHome();
    env[SECRET_CHANNEL_ENV] = home.prefix;
    env.POWERSHELL_TELEMETRY_OPTOUT = '1';
    env.POWERSHELL_UPDATECHECK = 'Off';
    env.TERM = 'dumb';
    env.NO_COLOR = '1';

    const ps = new PowerShellProcess({
      executable: this.config.executable,
      executableOptions: {
        '-NoLogo': true,
        '-NoProfile': true,
        '-NonInteractive': true,
        '-ExecutionPolicy': 'Bypass',
      },
      spawnOptions: { cwd: this.config.cwd, env, windowsHide: true },
      throwOnInvocationError: false,
    });
    // Its exit promise rejects on a kill; nobody else awaits it, so it must not become unhandled.
    const exitPromise = Reflect.get(ps, 'exitPromise') as Promise<void>;
    exitPromise.catch(() => undefined);
    const child = childOf(ps);
    const live: Live = { ps, child, exited: false, home, nextExit: exitPerInvocation(exitPromise) };
    child.once('exit', (code, signal) => {
      live.exited = true;
      home.dispose();
      const expected = this.expectingExit;
      this.expectingExit = false;
      this.emit({ kind: 'exited', code, signal, expected });
    });
    child.once('error', () => {
      live.exited = true;
      home.dispose();
    });
    this.processesStarted += 1;
    this.live = live;
    this.emit({ kind: 'started', pid: child.pid, count: this.processesStarted });
    const lines = typeof this.config.bootstrap === 'function' ? this.config.bootstrap(this.processesStarted) : this.config.bootstrap;
    // What the process writes while it starts: a locked-down PowerShell answers its start check and exits
    // (startup.ts START_LINE), before node-powershell's own reading of that command could return it.
    const written = startOutput(child);
    try {
      for (const line of lines) {
        Reflect.set(ps, 'exitPromise', live.nextExit());
        // An exit with an exit code rejects the invocation; what the process wrote then tells why.
        const result = await ps.invoke(line).catch((error: unknown) => {
          if (!live.exited) throw error;
          return { stdout: undefined, stderr: undefined, hadErrors: true };
        });
        ps.history.length = 0;
        const answer = parseAnswer(live.exited ? await written.all() : (result.stdout?.toString('utf8') ?? ''));
        if (answer && !answer.ok) {
          this.kill(live);
          // A start refused by the machine's PowerShell policy says itself what an administrator must do.
          const hint = (answer.error as { hint?: unknown }).hint;
          if (answer.error.kind === 'locked-down' && typeof hint === 'string') {
            throw new AppError('powershell-unavailable', answer.error.message.slice(0, 800), hint.slice(0, 500));
          }
          throw new AppError('powershell-unavailable', `PowerShell could not be prepared: ${answer.error.message.slice(0, 500)}`, 'Check the practice lab file (or reinstall CredHop), then try again.');
        }
        if (live.exited) throw new AppError('powershell-unavailable', 'PowerShell stopped while starting.', 'Check the PowerShell shown in Settings, then try again.');
        if (result.hadErrors) {
          const detail = (result.stderr?.toString('utf8') ?? '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
          throw new AppError('powershell-unavailable', `PowerShell could not load CredHop's module: ${detail.slice(0, 300)}`, 'Reinstall CredHop, or check the PowerShell shown in Settings.');
        }
      }
    } finally {
      written.stop();
    }
    return live;
  }

  private async runNow(command: string, options: RunOptions): Promise<string> {
    if (options.signal?.aborted) throw new AppError('cancelled', 'The step was cancelled before it started.', 'Clean up now puts back anything already changed.');
    const live = await this.ensureStarted();
    // Starting PowerShell can take seconds; a cancel that came meanwhile must still count.
    if (options.signal?.aborted) throw new AppError('cancelled', 'The step was cancelled.', 'Clean up now puts back anything already changed.');
    const timeoutMs = options.timeoutMs ?? this.config.defaultTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.emit({ kind: 'timeout', timeoutMs });
        this.kill(live);
        reject(new AppError('timeout', `PowerShell did not answer within ${Math.round(timeoutMs / 1000)} seconds, so the step was stopped.`, 'Check that the machines answer, then try again. Clean up now puts back anything already changed.'));
      }, timeoutMs);
      onAbort = () => {
        this.emit({ kind: 'cancelled' });
        this.kill(live);
        reject(new AppError('cancelled', 'The step was cancelled.', 'Clean up now puts back anything already changed.'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    // The secrets go over the channel while the command runs; whatever happens, delivery stops with it.
    const delivery = options.secrets ? deliverSecrets(live.home.pathFor(options.secrets.channel), options.secrets.values) : null;
    // Items stream beside node-powershell's own reading of stdout, which returns only at the end.
    const onItem = options.onItem;
    const reader = onItem
      ? itemLineReader((json) => {
          try {
            onItem(json);
          } catch {
            // a consumer's failure must not break the call
          }
        })
      : null;
    if (reader) live.child.stdout?.on('data', reader);
    try {
      Reflect.set(live.ps, 'exitPromise', live.nextExit());
      const result = await Promise.race([live.ps.invoke(command), stop]);
      if (live.exited || result.stdout === undefined) {
        throw new AppError('powershell-failed', 'PowerShell stopped while running this step.', 'Try again: CredHop starts a new PowerShell. Clean up now puts back anything already changed.');
      }
      return result.stdout.toString('utf8');
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('powershell-failed', 'PowerShell stopped while running this step.', 'Try again: CredHop starts a new PowerShell. Clean up now puts back anything already changed.');
    } finally {
      if (reader) live.child.stdout?.off('data', reader);
      delivery?.stop();
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      // The command text carries the call's payload; do not keep it around in memory.
      live.ps.history.length = 0;
    }
  }

  private kill(live: Live): void {
    if (!live.exited) {
      this.expectingExit = true;
      live.child.kill('SIGKILL');
    }
    if (this.live === live) this.live = null;
  }
}
