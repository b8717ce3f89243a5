// The warm-up at launch: PowerShell (process, module, practice lab) starts in the background, the
// channels that need no PowerShell answer meanwhile, and the first check uses the warm shell instead of
// starting another. No timing is asserted: what is checked is what runs, and in which process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMainServices } from '../../src/main/services';
import { ARTICLE, removeDir } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

const ctx = (operationId: string) => ({ operationId, progress: () => undefined });

describe('warm-up at launch', () => {
  it('starts one PowerShell in the background; PowerShell-free channels answer meanwhile; the first check reuses it', async () => {
    requirePwsh();
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-warm-'));
    const services = createMainServices({ dataDir, root: process.cwd(), practice: { reset: true } });
    try {
      const profile = await services.profiles.store.create({
        name: 'Warm', jumpServer: ARTICLE.jumpServer, jumpServerConnectAs: ARTICLE.jumpServer, target: ARTICLE.target,
        jumpAccount: ARTICLE.account, targetAccount: null, probeCommand: 'hostname', timeBoxMinutes: 60, notes: '',
      });
      const warming = services.warmUp();
      // Answered from files and memory, whether or not PowerShell has started yet.
      const [list, settings, status] = await Promise.all([
        services.handlers.profilesList({}, ctx('a')),
        services.handlers.settingsGet({}, ctx('b')),
        services.handlers.hopStatus({}, ctx('c')),
      ]);
      expect(list.profiles.map((p) => p.name)).toEqual(['Warm']);
      expect(settings.powershell.path).toBe(services.powershell!.path);
      expect(status.open).toEqual([]);
      await warming;
      expect(services.engine()!.shell.isRunning).toBe(true);
      expect(services.engine()!.shell.processesStarted).toBe(1);
      // Once warm, the settings say which version runs.
      expect((await services.handlers.settingsGet({}, ctx('d'))).powershell.version).toMatch(/^7\./);
      const check = await services.handlers.hopCheck({ profileId: profile.id }, ctx('e'));
      expect(check.plan?.changes.length).toBe(3);
      expect(services.engine()!.shell.processesStarted).toBe(1);
      // A second warm-up is the same one.
      await services.warmUp();
      expect(services.engine()!.shell.processesStarted).toBe(1);
    } finally {
      await services.dispose();
      removeDir(dataDir);
    }
  }, 180_000);
});
