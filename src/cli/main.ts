// Entry point of the credhop command line (built to out/main/cli.js, run by bin/credhop.cjs). The
// packaged app runs the same command line with `CredHop.exe --cli` (see src/main/cli-dispatch.ts).
import { resolve } from 'node:path';
import { flushOutput, runCliInProcess } from './process-entry';

void runCliInProcess(process.argv.slice(2), { root: resolve(__dirname, '..', '..') })
  .then(async (code) => {
    await flushOutput();
    return code;
  })
  .then((code) => process.exit(code));
