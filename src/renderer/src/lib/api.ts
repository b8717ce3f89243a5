// The renderer's only door to main: the object the preload exposed, typed from the shared contract.
import type { CredhopApi } from '../../../shared/api';
import { API_KEY } from '../../../shared/channels';

export function getApi(): CredhopApi {
  const api = (window as unknown as Record<string, CredhopApi | undefined>)[API_KEY];
  if (!api) throw new Error('CredHop cannot reach its main process (the preload did not run).');
  return api;
}
