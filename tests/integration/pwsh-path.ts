// The real pwsh the setup script installs. Integration tests fail loudly without it: no silent skip.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const PWSH = resolve('.tools/pwsh/pwsh');

export function requirePwsh(): string {
  if (!existsSync(PWSH)) {
    throw new Error(`PowerShell 7 is not installed at ${PWSH}. Run \`bash scripts/setup.sh\` first; these tests need the real pwsh.`);
  }
  return PWSH;
}
