// The envelope every IPC call returns. Nothing is thrown across the bridge.

export type ErrorCode =
  | 'invalid-request' // the request failed validation
  | 'untrusted-sender' // the call did not come from the app's own window
  | 'unknown-channel'
  | 'not-found'
  | 'conflict'
  | 'refused' // input or state that CredHop will not act on (explained in message + hint)
  | 'keychain-unavailable'
  | 'powershell-unavailable'
  | 'powershell-failed'
  | 'timeout'
  | 'cancelled'
  | 'internal';

export interface AppErrorData {
  code: ErrorCode;
  /** Plain words for the operator. Never a stack trace, never a secret. */
  message: string;
  /** The next action the operator can take. */
  hint?: string;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: AppErrorData };

export function ok<T>(data: T): Result<T> {
  return { ok: true, data };
}

export function fail(code: ErrorCode, message: string, hint?: string): Result<never> {
  return { ok: false, error: hint === undefined ? { code, message } : { code, message, hint } };
}

/** Progress of a long-running call, sent main → renderer on PROGRESS_EVENT. */
export interface ProgressEvent {
  operationId: string;
  message: string;
  /** 0..1 when known. */
  fraction?: number;
  level: 'info' | 'warn' | 'error';
}
