import type { Middleware } from 'koa';
import { Unauthenticated, NotFound, ValidationFailed } from './problem.js';
import { InvalidServiceToken, SERVICE_TOKEN_HEADER, type ServiceTokens } from '../security/service-tokens.js';
import type { FacadeKey } from '../app/module-facades.js';

export const FACADE_PATH_PREFIX = '/internal/';

export interface ServedFacade {
  key: FacadeKey<object>;
  facade: () => object;
}

const PATH = /^\/internal\/([a-z][a-z0-9-]*)\/([A-Za-z][A-Za-z0-9]*)$/;

/**
 * Serves the facades of the modules hosted here to modules running elsewhere:
 * `POST /internal/<module>/<method>` with `{ "argument": … }` answers `{ "result": … }`, or
 * the method's problem with its own status and code, which the caller's client raises
 * again as the same problem. Only a valid service token issued for that module gets in.
 * @example app.use(facadeEndpoint([{ key: ProductCatalogApi, facade: () => catalog }], tokens))
 */
export function facadeEndpoint(served: readonly ServedFacade[], tokens: ServiceTokens): Middleware {
  const byModule = new Map(served.map((entry) => [entry.key.module, entry]));
  return async (ctx, next) => {
    if (!ctx.path.startsWith(FACADE_PATH_PREFIX)) return next();
    const [, module = '', method = ''] = PATH.exec(ctx.path) ?? [];
    const entry = byModule.get(module);
    if (!entry || !entry.key.methods.includes(method)) throw NotFound(`No facade method ${module}.${method} is served here`);
    try {
      await tokens.verify(ctx.get(SERVICE_TOKEN_HEADER) || undefined, [module]);
    } catch (error) {
      if (error instanceof InvalidServiceToken) throw Unauthenticated(error.message);
      throw error;
    }
    if (ctx.method !== 'POST') ctx.throw(405);
    ctx.state.module = module;
    ctx._matchedRoute = `${FACADE_PATH_PREFIX}${module}/${method}`;
    const body = ctx.request.body as { argument?: unknown } | undefined;
    if (!body || typeof body !== 'object' || !('argument' in body)) throw ValidationFailed('Send { "argument": … }');
    const facade = entry.facade() as Record<string, (argument: unknown) => Promise<unknown>>;
    const result = await facade[method]!(body.argument);
    // `undefined` (a method that answers nothing) travels as a missing member.
    ctx.body = result === undefined ? {} : { result };
  };
}
