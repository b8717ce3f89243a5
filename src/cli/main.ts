// The credhop command line. Until the hop engine lands it offers the environment check.
import { resolve } from 'node:path';
import { checkEnvironment } from '../main/env/check';
import { defaultDataDir } from '../main/paths';
import { createMainServices } from '../main/services';

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const json = rest.includes('--json');
  const root = resolve(__dirname, '..', '..');
  if (command === 'help' || command === '--help') {
    process.stdout.write('Usage: credhop <command> [--json]\n\nCommands:\n  check    which PowerShell CredHop will use\n');
    return 0;
  }
  if (command === 'check') {
    const services = createMainServices({ dataDir: defaultDataDir(), root, practice: rest.includes('--practice') ? {} : false });
    try {
      const report = await checkEnvironment({
        platform: process.platform,
        dataDir: services.dataDir,
        practiceMode: services.practiceMode,
        powershell: services.powershell,
        engine: services.engine,
      });
      process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${report.powershell.summary}\n`);
      return report.powershell.found ? 0 : 1;
    } finally {
      await services.dispose();
    }
  }
  process.stderr.write(`credhop: unknown command "${command}". Run "credhop help".\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write('credhop: an internal error stopped the command.\n');
    process.exit(4);
  },
);
