import type { HandlerGroup } from '../ipc/handler';
import { checkEnvironment, type EnvDeps } from './check';

export function createEnvHandlers(deps: EnvDeps): HandlerGroup<'envCheck'> {
  return {
    envCheck: async () => checkEnvironment(deps),
  };
}
