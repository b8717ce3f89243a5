// Builds the object exposed on window.credhop from the channel list: one method per channel, plus a
// progress subscription. Takes the transport as two functions so it never hands out ipcRenderer or
// an event object.
import type { CredhopApi } from '../shared/api';
import { CHANNELS, ipcChannelName, type Channel } from '../shared/channels';
import type { ProgressEvent } from '../shared/result';

export interface Transport {
  invoke(ipcChannel: string, request: unknown): Promise<unknown>;
  /** Subscribes to main → renderer events; returns the unsubscribe function. */
  on(ipcChannel: string, listener: (payload: unknown) => void): () => void;
}

export function buildApi(transport: Transport, progressChannel: string): CredhopApi {
  const api: Record<string, unknown> = {};
  for (const channel of CHANNELS) {
    api[channel] = (request: unknown) => transport.invoke(ipcChannelName(channel as Channel), request ?? {});
  }
  api.onProgress = (listener: (event: ProgressEvent) => void) =>
    transport.on(progressChannel, (payload) => listener(payload as ProgressEvent));
  return Object.freeze(api) as CredhopApi;
}
