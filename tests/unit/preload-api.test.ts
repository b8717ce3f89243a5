import { describe, expect, it } from 'vitest';
import { buildApi } from '../../src/preload/api';
import { CHANNELS, ipcChannelName, PROGRESS_EVENT, QUIT_REQUEST_EVENT } from '../../src/shared/channels';

const EVENTS = { progress: PROGRESS_EVENT, quitRequest: QUIT_REQUEST_EVENT };
import { contract } from '../../src/shared/contract';

describe('preload API', () => {
  it('exposes exactly one method per contract channel plus onProgress and onQuitRequest, and nothing else', () => {
    const api = buildApi({ invoke: async () => undefined, on: () => () => undefined }, EVENTS);
    expect(Object.keys(api).sort()).toEqual([...CHANNELS, 'onProgress', 'onQuitRequest'].sort());
    expect(Object.keys(contract).sort()).toEqual([...CHANNELS].sort());
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('sends each method on its own prefixed IPC channel with the request only', async () => {
    const calls: [string, unknown][] = [];
    const api = buildApi({ invoke: async (c, r) => (calls.push([c, r]), { ok: true, data: null }), on: () => () => undefined }, EVENTS);
    for (const channel of CHANNELS) {
      await (api[channel] as (r: unknown) => Promise<unknown>)({});
    }
    expect(calls.map(([c]) => c)).toEqual(CHANNELS.map(ipcChannelName));
  });

  it('passes progress payloads to the listener without the event object, and unsubscribes', () => {
    let registered: ((payload: unknown) => void) | null = null;
    let removed = false;
    const api = buildApi(
      {
        invoke: async () => undefined,
        on: (channel, listener) => {
          expect(channel).toBe(PROGRESS_EVENT);
          registered = listener;
          return () => { removed = true; };
        },
      },
      EVENTS,
    );
    const seen: unknown[] = [];
    const off = api.onProgress((e) => seen.push(e));
    registered!({ operationId: 'a', message: 'm', level: 'info' });
    expect(seen).toEqual([{ operationId: 'a', message: 'm', level: 'info' }]);
    off();
    expect(removed).toBe(true);
  });
});
