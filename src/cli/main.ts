// Entry point of the credhop command line (built to out/main/cli.js, run by bin/credhop.cjs).
import { resolve } from 'node:path';
import { defaultDataDir } from '../main/paths';
import { EXIT, runCli } from './run';

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

runCli(
  process.argv.slice(2),
  { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), readStdin },
  { dataDir: defaultDataDir(), root: resolve(__dirname, '..', '..') },
).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write('credhop: an internal error stopped the command.\n');
    process.exit(EXIT.internal);
  },
);
