import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/shared/channels';
import type { ProgressEvent } from '../../src/shared/result';
import { AppError } from '../../src/main/errors';
import type { Handlers } from '../../src/main/ipc/handler';
import { assertAllHandled, createRouter } from '../../src/main/ipc/router';
import { createSenderPolicy, type SenderInfo } from '../../src/main/ipc/sender';
import { createMainServices } from '../../src/main/services';

const APP = 'app://credhop/index.html';
const trusted: SenderInfo = { url: APP, isTopFrame: true, windowId: 1 };
const policy = createSenderPolicy({ appUrl: APP, knownWindowIds: () => new Set([1]) });

function handlersWith(overrides: Partial<Handlers>): Handlers {
  const services = createMainServices({ dataDir: '/tmp/credhop-unused', root: process.cwd(), configuredPowerShell: '/nonexistent/pwsh' });
  return { ...services.handlers, ...overrides };
}

const envReport = { platform: 'linux', practiceMode: false, dataDir: '/d', powershell: { found: false, summary: 'none' } };

describe('IPC router', () => {
  it('has a handler for every channel of the contract, and start-up fails when one is missing', () => {
    const handlers = handlersWith({});
    expect(() => assertAllHandled(handlers)).not.toThrow();
    for (const channel of CHANNELS) {
      const partial: Partial<Handlers> = { ...handlers };
      delete partial[channel];
      expect(() => createRouter(partial as Handlers, { isTrustedSender: policy })).toThrow(channel);
    }
  });

  it('answers a valid call from the app window with ok and the validated data', async () => {
    const router = createRouter(handlersWith({ envCheck: async () => envReport }), { isTrustedSender: policy });
    await expect(router.dispatch('envCheck', trusted, {}, () => undefined)).resolves.toEqual({ ok: true, data: envReport });
  });

  it('refuses an unknown channel with a typed error', async () => {
    const router = createRouter(handlersWith({}), { isTrustedSender: policy });
    const result = await router.dispatch('shellExec', trusted, {}, () => undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
  });

  it.each([
    ['an iframe', { ...trusted, isTopFrame: false }],
    ['another origin', { ...trusted, url: 'https://evil.example/index.html' }],
    ['a file:// page', { ...trusted, url: 'file:///etc/passwd' }],
    ['a window the app did not open', { ...trusted, windowId: 7 }],
    ['an unknown window', { ...trusted, windowId: null }],
    ['a blank page', { ...trusted, url: 'about:blank' }],
  ])('refuses a call from %s without running the handler', async (_name, sender) => {
    let ran = false;
    const router = createRouter(handlersWith({ envCheck: async () => ((ran = true), envReport) }), { isTrustedSender: policy });
    const result = await router.dispatch('envCheck', sender, {}, () => undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'untrusted-sender' } });
    expect(ran).toBe(false);
  });

  it('refuses a request that fails validation, naming the field', async () => {
    let ran = false;
    const router = createRouter(handlersWith({ envCheck: async () => ((ran = true), envReport) }), { isTrustedSender: policy });
    const result = await router.dispatch('envCheck', trusted, { sneaky: 'extra' }, () => undefined);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid-request');
      expect(result.error.message).toMatch(/not valid/);
    }
    expect(ran).toBe(false);
  });

  it('turns an AppError into its code, message and hint', async () => {
    const router = createRouter(handlersWith({ envCheck: async () => { throw new AppError('refused', 'No.', 'Do this instead.'); } }), { isTrustedSender: policy });
    await expect(router.dispatch('envCheck', trusted, {}, () => undefined)).resolves.toEqual({ ok: false, error: { code: 'refused', message: 'No.', hint: 'Do this instead.' } });
  });

  it('never lets an unexpected exception, or its message, cross the bridge', async () => {
    const router = createRouter(
      handlersWith({ envCheck: async () => { throw new Error('secret-detail at /home/x with P@ssw0rd'); } }),
      { isTrustedSender: policy },
    );
    const result = await router.dispatch('envCheck', trusted, {}, () => undefined);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(result)).not.toContain('P@ssw0rd');
    expect(JSON.stringify(result)).not.toContain('secret-detail');
  });

  it('withholds a response that does not match its schema, and strips unknown fields', async () => {
    const bad = createRouter(handlersWith({ envCheck: async () => ({ nonsense: true }) as never }), { isTrustedSender: policy });
    expect(await bad.dispatch('envCheck', trusted, {}, () => undefined)).toMatchObject({ ok: false, error: { code: 'internal' } });
    const leaky = createRouter(handlersWith({ envCheck: async () => ({ ...envReport, password: 'hunter2' }) }), { isTrustedSender: policy });
    const result = await leaky.dispatch('envCheck', trusted, {}, () => undefined);
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('tags progress with the operation id the renderer chose, and survives a failing emitter', async () => {
    const events: ProgressEvent[] = [];
    const router = createRouter(
      handlersWith({ envCheck: async (_req, ctx) => { ctx.progress('halfway', { fraction: 0.5 }); return envReport; } }),
      { isTrustedSender: policy },
    );
    // envCheck's schema is strict, so the id travels on a request that allows it; here we check the tag itself.
    await router.dispatch('envCheck', trusted, {}, (e) => events.push(e));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ message: 'halfway', fraction: 0.5, level: 'info' });
    expect(events[0]!.operationId).toMatch(/^[A-Za-z0-9-]+$/);
    const throwing = await router.dispatch('envCheck', trusted, {}, () => { throw new Error('window gone'); });
    expect(throwing.ok).toBe(true);
  });
});
