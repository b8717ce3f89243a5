// electron-builder afterPack hook (wired by scripts/electron-builder.win.cjs for package:win): signs the
// packed copy of CredHop's PowerShell module with scripts/sign-module.ps1 before the installers are made.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

exports.default = async function signModuleAfterPack(context) {
  if (context.electronPlatformName !== 'win32') return;
  const moduleDir = path.join(context.appOutDir, 'resources', 'powershell', 'CredHop');
  // Windows PowerShell 5.1 is always there on Windows; elsewhere pwsh (which cannot sign: the script says so).
  const shell = process.platform === 'win32' ? 'powershell.exe' : 'pwsh';
  execFileSync(shell, ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', path.join(__dirname, 'sign-module.ps1'), '-ModuleDir', moduleDir], { stdio: 'inherit' });
};
