// The renderer's only door to main: the object the preload exposed, typed from the shared contract.
import type { CredhopApi } from '../../../shared/api';
import { API_KEY } from '../../../shared/channels';
import type { AppErrorData, Result } from '../../../shared/result';

export function getApi(): CredhopApi {
  const api = (window as unknown as Record<string, CredhopApi | undefined>)[API_KEY];
  if (!api) throw new Error('CredHop cannot reach its main process (the preload did not run).');
  return api;
}

export const BRIDGE_DOWN: AppErrorData = {
  code: 'internal',
  message: 'CredHop could not reach its main process.',
  hint: 'Restart CredHop. If it changed anything, Clean up now restores it after the restart.',
};

/** Calls main and never throws: a broken bridge becomes an ordinary error result. */
export async function call<T>(fn: (api: CredhopApi) => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await fn(getApi());
  } catch {
    return { ok: false, error: BRIDGE_DOWN };
  }
}

/** An id for ProgressEvents of one call (the contract allows letters, digits and hyphens). */
export function newOperationId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `op-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** An error as the UI shows it: plain words and the next action. */
export interface UiError {
  message: string;
  hint?: string | undefined;
}
