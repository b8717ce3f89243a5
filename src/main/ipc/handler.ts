import type { z } from 'zod';
import type { Channel } from '../../shared/channels';
import type { contract } from '../../shared/contract';
import type { ProgressEvent } from '../../shared/result';

export interface HandlerContext {
  /** Tags every progress event of this call; chosen by the renderer when it sends `operationId`. */
  operationId: string;
  progress(message: string, options?: { fraction?: number; level?: ProgressEvent['level'] }): void;
}

/** A main-side handler: receives the validated request, returns the response (or throws AppError). */
export type Handler<C extends Channel> = (
  request: z.output<(typeof contract)[C]['request']>,
  context: HandlerContext,
) => Promise<z.input<(typeof contract)[C]['response']>>;

export type Handlers = { [C in Channel]: Handler<C> };

/** A feature's share of the handlers, e.g. the profile channels. */
export type HandlerGroup<K extends Channel> = { [C in K]: Handler<C> };
