// The transport-free choke point of the bridge: every call is sender-checked, validated, run and
// wrapped in the result envelope here, whatever carries it (Electron's ipcMain, or a test binding).
import { randomUUID } from 'node:crypto';
import { CHANNELS, type Channel } from '../../shared/channels';
import { contract } from '../../shared/contract';
import type { ProgressEvent, Result } from '../../shared/result';
import { fail, ok } from '../../shared/result';
import { isAppError } from '../errors';
import type { Handler, Handlers } from './handler';
import type { SenderInfo, SenderPolicy } from './sender';

export interface RouterLog {
  (entry: { channel: string; outcome: 'ok' | 'error' | 'rejected'; code?: string; detail?: string }): void;
}

export interface Router {
  readonly channels: readonly Channel[];
  dispatch(
    channel: string,
    sender: SenderInfo,
    request: unknown,
    emit: (event: ProgressEvent) => void,
  ): Promise<Result<unknown>>;
}

const OPERATION_ID = /^[A-Za-z0-9-]{1,64}$/;

function operationIdOf(request: unknown): string {
  if (typeof request === 'object' && request !== null && 'operationId' in request) {
    const id = (request as { operationId: unknown }).operationId;
    if (typeof id === 'string' && OPERATION_ID.test(id)) return id;
  }
  return randomUUID();
}

function isChannel(name: string): name is Channel {
  return (CHANNELS as readonly string[]).includes(name);
}

/** Fails at start-up, not at the first click, when a channel has no handler. */
export function assertAllHandled(handlers: Partial<Handlers>): asserts handlers is Handlers {
  const missing = CHANNELS.filter((c) => typeof handlers[c] !== 'function');
  if (missing.length > 0) throw new Error(`IPC channels without a handler: ${missing.join(', ')}`);
}

export function createRouter(
  handlers: Handlers,
  options: { isTrustedSender: SenderPolicy; log?: RouterLog },
): Router {
  assertAllHandled(handlers);
  const log: RouterLog = options.log ?? (() => undefined);

  return {
    channels: CHANNELS,
    async dispatch(channel, sender, request, emit) {
      if (!isChannel(channel)) {
        log({ channel, outcome: 'rejected', code: 'unknown-channel' });
        return fail('unknown-channel', 'CredHop does not know that request.');
      }
      if (!options.isTrustedSender(sender)) {
        log({ channel, outcome: 'rejected', code: 'untrusted-sender' });
        return fail('untrusted-sender', 'This request did not come from the CredHop window and was refused.');
      }
      const spec = contract[channel];
      const parsed = spec.request.safeParse(request);
      if (!parsed.success) {
        log({ channel, outcome: 'rejected', code: 'invalid-request' });
        const first = parsed.error.issues[0];
        const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
        return fail('invalid-request', `The request was not valid: ${where}${first?.message ?? 'unknown problem'}.`);
      }
      const operationId = operationIdOf(request);
      const context = {
        operationId,
        progress(message: string, opts?: { fraction?: number; level?: ProgressEvent['level'] }) {
          const event: ProgressEvent = { operationId, message, level: opts?.level ?? 'info' };
          if (opts?.fraction !== undefined) event.fraction = opts.fraction;
          try {
            emit(event);
          } catch {
            // The window may be gone; progress is best effort and must never fail the call.
          }
        },
      };
      try {
        const handler = handlers[channel] as Handler<Channel>;
        const response = await handler(parsed.data as never, context);
        // Validating the response too means nothing outside the schema (a secret, say) can leave main.
        const checked = spec.response.safeParse(response);
        if (!checked.success) {
          log({ channel, outcome: 'error', code: 'internal', detail: 'response failed its schema' });
          return fail('internal', 'CredHop produced an answer it could not check, so it was withheld.', 'Please report this problem.');
        }
        log({ channel, outcome: 'ok' });
        return ok(checked.data);
      } catch (error) {
        if (isAppError(error)) {
          log({ channel, outcome: 'error', code: error.code });
          return { ok: false, error: error.toData() };
        }
        log({ channel, outcome: 'error', code: 'internal', detail: error instanceof Error ? error.name : typeof error });
        return fail('internal', 'CredHop hit an unexpected problem and stopped this action.', 'Try again; if it happens again, use Clean up now and report the problem.');
      }
    },
  };
}
