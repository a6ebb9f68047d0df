import type { Middleware } from 'koa';
import { InvalidServiceToken, SERVICE_TOKEN_HEADER, type ServiceTokens } from '../security/service-tokens.js';
import { Unauthenticated } from './problem.js';

// Probes and scrapes come from the platform (kubelet, Prometheus), which holds no service token.
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * An extracted service answers only our own processes: every request but the probes must
 * carry a service token issued for one of the modules it hosts. The user's own credentials
 * travel beside it and are checked by the routes as usual.
 */
export function requireServiceToken(tokens: ServiceTokens, modules: readonly string[]): Middleware {
  return async (ctx, next) => {
    if (OPEN_PATHS.has(ctx.path)) return next();
    try {
      await tokens.verify(ctx.get(SERVICE_TOKEN_HEADER) || undefined, modules);
    } catch (error) {
      if (error instanceof InvalidServiceToken) throw Unauthenticated(`This service answers only the platform's own processes: ${error.message}`);
      throw error;
    }
    await next();
  };
}
