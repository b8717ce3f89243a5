// Cancelling a running step: through the engine and through the IPC bridge (hopCancel), on real pwsh
// with the lab. The running PowerShell call stops at once, the app keeps working, nothing is lost.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRouter } from '../../src/main/ipc/router';
import { createMainServices } from '../../src/main/services';
import type { Result } from '../../src/shared/result';
import { ARTICLE, CRED, labsForEachTest, removeDir } from './lab-fixture';

const { lab } = labsForEachTest();
const SLOW = { ...ARTICLE, probe: 'Start-Sleep -Seconds 30; hostname' };

describe('cancelling', () => {
  it('stops a running test through the engine within a moment, and the next call works', async () => {
    const run = lab();
    const abort = new AbortController();
    const started = Date.now();
    const pending = run.hop.test(SLOW, CRED, 'explicit', { signal: abort.signal });
    setTimeout(() => abort.abort(), 1500);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled', hint: expect.stringMatching(/Clean up now/) });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await run.hop.readClient()).computerName).toBe('dc1');
  });

  it('hopCancel stops the operation the renderer started, by its operation id', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cancel-'));
    const services = createMainServices({ dataDir, root: process.cwd(), practice: { reset: true } });
    try {
      const router = createRouter(services.handlers, { isTrustedSender: () => true });
      const sender = { url: 'app://credhop/index.html', isTopFrame: true, windowId: 1 };
      const call = <T = unknown>(channel: string, request: unknown) => router.dispatch(channel, sender, request, () => undefined) as Promise<Result<T>>;
      const data = <T>(result: Result<T>): T => {
        if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
        return result.data;
      };
      const saved = data(await call<{ profile: { id: string } }>('profilesSave', { profile: { name: 'Slow probe', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', jumpAccount: 'COMPANY\\Administrator', probeCommand: 'Start-Sleep -Seconds 30' } }));
      const { checkId } = data(await call<{ checkId: string }>('hopCheck', { profileId: saved.profile.id }));
      const testing = call('hopTest', { operationId: 'op-slow-1', checkId, mode: 'explicit' });
      await new Promise((r) => setTimeout(r, 1500));
      expect(await call('hopCancel', { operationId: 'op-slow-1' })).toEqual({ ok: true, data: { cancelled: true } });
      expect(await testing).toMatchObject({ ok: false, error: { code: 'cancelled' } });
      expect(await call('hopCancel', { operationId: 'op-slow-1' })).toEqual({ ok: true, data: { cancelled: false } });
      expect((await call('hopStatus', {})).ok).toBe(true);
    } finally {
      await services.dispose();
      removeDir(dataDir);
    }
  });
});
