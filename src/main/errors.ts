import type { AppErrorData, ErrorCode } from '../shared/result';

/**
 * An error meant for the operator: a code, plain words and the next action.
 * Handlers throw it; the router turns it into the `{ ok: false, error }` envelope.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.hint = hint;
  }

  toData(): AppErrorData {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
