// Builds the object exposed on window.credhop from the channel list: one method per channel, plus a
// progress subscription. Takes the transport as two functions so it never hands out ipcRenderer or
// an event object.
import type { CredhopApi } from '../shared/api';
import { CHANNELS, ipcChannelName, type Channel } from '../shared/channels';
import type { QuitRequest } from '../shared/contract/app';
import type { ProgressEvent } from '../shared/result';

export interface Transport {
  invoke(ipcChannel: string, request: unknown): Promise<unknown>;
  /** Subscribes to main → renderer events; returns the unsubscribe function. */
  on(ipcChannel: string, listener: (payload: unknown) => void): () => void;
}

/** The main → renderer event channels the API subscribes to. */
export interface EventChannels {
  progress: string;
  quitRequest: string;
}

export function buildApi(transport: Transport, events: EventChannels): CredhopApi {
  const api: Record<string, unknown> = {};
  for (const channel of CHANNELS) {
    api[channel] = (request: unknown) => transport.invoke(ipcChannelName(channel as Channel), request ?? {});
  }
  api.onProgress = (listener: (event: ProgressEvent) => void) =>
    transport.on(events.progress, (payload) => listener(payload as ProgressEvent));
  api.onQuitRequest = (listener: (request: QuitRequest) => void) =>
    transport.on(events.quitRequest, (payload) => listener(payload as QuitRequest));
  return Object.freeze(api) as CredhopApi;
}
