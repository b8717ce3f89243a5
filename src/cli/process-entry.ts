// The command line run in this process: stdin/stdout/stderr of the process, the shared data folder,
// an exit code back. Used by bin/credhop.cjs (through main.ts) and by the packaged app's --cli.
import { defaultDataDir } from '../main/paths';
import { EXIT, runCli, type CliIo } from './run';

let stdinText: Promise<string> | null = null;
function readStdin(): Promise<string> {
  stdinText ??= new Promise((resolveText, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
  return stdinText;
}

export function processIo(): CliIo {
  return { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), readStdin };
}

/** Resolves once everything written to stdout and stderr is handed to the OS (before the process exits). */
export function flushOutput(): Promise<void> {
  const drained = (stream: NodeJS.WriteStream) =>
    new Promise<void>((done) => {
      stream.write('', () => done());
    });
  return Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => undefined);
}

/** Runs the command line on `argv` (the arguments after the program) and resolves to its exit code. Never rejects. */
export async function runCliInProcess(argv: readonly string[], where: { root: string; packaged?: boolean }): Promise<number> {
  try {
    return await runCli(argv, processIo(), { dataDir: defaultDataDir(), root: where.root, packaged: where.packaged ?? false });
  } catch {
    process.stderr.write('credhop: an internal error stopped the command.\n');
    return EXIT.internal;
  }
}
