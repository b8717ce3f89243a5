// The type of the object the preload exposes on `window.credhop`, derived from the contract.
import type { Channel } from './channels';
import type { RequestOf, ResponseOf } from './contract';
import type { QuitRequest } from './contract/app';
import type { ProgressEvent, Result } from './result';

export type ChannelMethods = {
  [C in Channel]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
};

export type CredhopApi = ChannelMethods & {
  /** Subscribe to progress events; returns the unsubscribe function. */
  onProgress(listener: (event: ProgressEvent) => void): () => void;
  /** Subscribe to main's "CredHop is closing while changes are open" requests; returns the unsubscribe function. */
  onQuitRequest(listener: (request: QuitRequest) => void): () => void;
};
