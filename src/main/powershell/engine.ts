// Safe calls into CredHop's PowerShell module over the one long-lived shell. In practice mode the lab
// (a simulated Windows estate) is loaded into the same shell first, so the module runs unchanged on it.
import type { z } from 'zod';
import { AppError } from '../errors';
import { buildCall, parseAnswer, type CallableFunction, type ModuleAnswer } from './protocol';
import type { ResolvedPowerShell } from './resolve';
import { MAX_SECRET_BYTES, MAX_SECRETS, newChannelId } from './secret-channel';
import { PowerShellShell, type RunOptions, type ShellEvent } from './shell';
import { bootstrapEnv, bootstrapLines } from './startup';

/** Options of one primitive call: a timeout, a cancel signal, and the secrets it needs. */
export interface CallOptions extends Omit<RunOptions, 'secrets'> {
  /**
   * Passwords the payload refers to by index (`{ userName, secret: 0 }`). They go to PowerShell on the
   * secret channel, never inside the payload or the command.
   */
  secrets?: readonly string[] | undefined;
}

export interface PracticeLab {
  /** tests/lab/CredHopLab.psd1 (shipped with the app as the practice lab). */
  modulePath: string;
  labFile: string;
  stateDir: string;
  /** Start the lab afresh from the lab file (else keep the state a previous run left). */
  reset?: boolean;
}

export interface EngineConfig {
  powershell: ResolvedPowerShell;
  /** Working directory of the shell: the app's own folder. */
  cwd: string;
  /** resources/powershell/CredHop/CredHop.psd1 */
  modulePath: string;
  practice?: PracticeLab | undefined;
  defaultTimeoutMs?: number;
  onEvent?: (event: ShellEvent) => void;
}

/** The module's own error, as data: what the hop engine diagnoses. */
export type ModuleError = Extract<ModuleAnswer, { ok: false }>['error'];

export class PrimitiveError extends AppError {
  constructor(
    readonly primitive: string,
    readonly record: ModuleError,
  ) {
    super(
      record.kind === 'invalid-payload' ? 'refused' : 'powershell-failed',
      record.message,
      record.kind === 'invalid-payload'
        ? 'Correct the value and try again.'
        : record.kind === 'secret-channel'
          ? 'Nothing was sent. Try again; if it keeps failing, check that security software does not block local named pipes, and that the temporary folder is CredHop\'s to use.'
          : undefined,
    );
  }
}

export interface PowerShellInfo {
  version: string;
  edition: string;
}

const VERSION_COMMAND =
  "[Console]::Out.WriteLine('CREDHOP:' + (ConvertTo-Json -Compress -InputObject @{ ok = $true; data = @{ version = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition } }))";

export class PowerShellEngine {
  readonly shell: PowerShellShell;

  constructor(readonly config: EngineConfig) {
    const bootstrap = bootstrapLines(config.practice !== undefined);
    const practice = config.practice;
    this.shell = new PowerShellShell({
      executable: config.powershell.path,
      cwd: config.cwd,
      // The module paths travel in the environment, never in command text (see startup.ts).
      env: bootstrapEnv(config.modulePath, config.practice?.modulePath),
      // The lab is reset (if asked) only by the first process: a restart after a crash must find the
      // lab as the crash left it, like a real machine.
      bootstrap: (start) =>
        practice
          ? bootstrapLines(true, buildCall('Initialize-CredHopLab', null, { labFile: practice.labFile, stateDir: practice.stateDir, reset: start === 1 && (practice.reset ?? false) }))
          : bootstrap,
      defaultTimeoutMs: config.defaultTimeoutMs ?? 60_000,
      onEvent: config.onEvent,
    });
  }

  get practiceMode(): boolean {
    return this.config.practice !== undefined;
  }

  async info(options?: RunOptions): Promise<PowerShellInfo> {
    const answer = parseAnswer(await this.shell.run(VERSION_COMMAND, options));
    if (!answer || !answer.ok) throw new AppError('powershell-failed', 'PowerShell did not report its version.');
    const data = answer.data as { version?: unknown; edition?: unknown };
    return { version: String(data.version ?? ''), edition: String(data.edition ?? '') };
  }

  /** Calls one primitive of the CredHop module and validates its answer. */
  async call<S extends z.ZodType>(primitive: string, payload: unknown, schema: S, options: CallOptions = {}): Promise<z.output<S>> {
    const { secrets, ...run } = options;
    if (!secrets || secrets.length === 0) return this.invoke('Invoke-CredHop', primitive, payload, schema, run);
    if (secrets.length > MAX_SECRETS || secrets.some((x) => Buffer.byteLength(x, 'utf8') > MAX_SECRET_BYTES)) {
      throw new AppError('refused', `A password longer than ${MAX_SECRET_BYTES} bytes cannot be used.`, 'Check the password, then try again.');
    }
    const channel = newChannelId();
    return this.invoke('Invoke-CredHop', primitive, payload, schema, { ...run, secrets: { channel, values: secrets } });
  }

  /** Calls one entry point of the practice lab (tests and practice mode only). */
  async lab<S extends z.ZodType>(fn: Exclude<CallableFunction, 'Invoke-CredHop'>, payload: unknown, schema: S, options?: RunOptions): Promise<z.output<S>> {
    if (!this.practiceMode) throw new AppError('refused', 'The practice lab is only available in practice mode.');
    return this.invoke(fn, null, payload, schema, options);
  }

  dispose(): Promise<void> {
    return this.shell.dispose();
  }

  private async invoke<S extends z.ZodType>(
    fn: CallableFunction,
    primitive: string | null,
    payload: unknown,
    schema: S,
    options?: RunOptions,
  ): Promise<z.output<S>> {
    const stdout = await this.shell.run(buildCall(fn, primitive, payload, options?.secrets?.channel), options);
    const answer = parseAnswer(stdout);
    if (answer === null) {
      throw new AppError('powershell-failed', `PowerShell gave no answer to ${primitive ?? fn}.`, 'Try again: CredHop starts a new PowerShell if needed.');
    }
    if (!answer.ok) throw new PrimitiveError(primitive ?? fn, answer.error);
    const parsed = schema.safeParse(answer.data);
    if (!parsed.success) {
      throw new AppError('powershell-failed', `PowerShell answered ${primitive ?? fn} in an unexpected shape.`, 'Please report this problem.');
    }
    return parsed.data;
  }
}
