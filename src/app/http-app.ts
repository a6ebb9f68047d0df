import Router from '@koa/router';
import Koa from 'koa';
import helmet from 'koa-helmet';
import type { Config } from '../config/config.js';
import type { Guards } from '../http/authenticate.js';
import { correlation } from '../http/correlation.js';
import { problemResponses } from '../http/errors.js';
import { healthRoutes, type ReadinessCheck } from '../http/health.js';
import { jsonBody } from '../http/json-body.js';
import type { Logger } from '../observability/logger.js';
import type { ModuleContainer, ModuleDefinition } from './module-definition.js';

export interface HostedModule {
  definition: ModuleDefinition;
  container: ModuleContainer;
}

export interface HttpAppParts {
  config: Config;
  log: Logger;
  guards: Guards;
  modules: readonly HostedModule[];
  readiness: Record<string, ReadinessCheck>;
  /** kernel routers (admin API …) mounted beside the modules */
  kernelRoutes?: readonly Router[];
  /** kernel middleware that owns a path of its own (the queue board), mounted before the routers */
  kernelMiddleware?: readonly Koa.Middleware[];
}

/** A router per module whose first middleware opens the request's scope in that module's container. */
function moduleRouter(hosted: HostedModule, guards: Guards): Router {
  const router = new Router();
  const moduleName = hosted.definition.name;
  router.use(async (ctx, next) => {
    ctx.state.module = moduleName;
    const scope = hosted.container.createScope();
    ctx.state.scope = scope;
    try {
      await next();
    } finally {
      await scope.dispose();
    }
  });
  hosted.definition.routes?.(router, { guards });
  return router;
}

/**
 * Builds the Koa application from the hosted modules; it does not listen, so tests and
 * extracted services decide where it runs.
 * @example const app = buildHttpApp({ config, log, guards, modules, readiness })
 */
export function buildHttpApp(parts: HttpAppParts): Koa {
  const app = new Koa({ proxy: parts.config.TRUST_PROXY });
  // Koa would print every error itself; ours are logged once, by the problem middleware.
  app.silent = true;
  const root = new Router();
  root.use(healthRoutes(parts.readiness).routes());
  for (const router of parts.kernelRoutes ?? []) root.use(router.routes());
  for (const hosted of parts.modules) root.use(moduleRouter(hosted, parts.guards).routes());

  app.use(correlation(parts.log));
  app.use(problemResponses(parts.log));
  app.use(helmet());
  app.use(jsonBody(parts.config.BODY_LIMIT));
  for (const middleware of parts.kernelMiddleware ?? []) app.use(middleware);
  app.use(root.routes());
  app.use(root.allowedMethods({ throw: true }));
  return app;
}
