import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import helmet from 'koa-helmet';
import type { Config } from '../config/config.js';
import { ApiCatalogue } from '../http/api/api-catalogue.js';
import { apiDocumentRoutes } from '../http/api/api-document-routes.js';
import { apiReference } from '../http/api/api-reference.js';
import { ApiRoutes } from '../http/api/api-routes.js';
import { openApiDocument, type OpenApiDocument } from '../http/api/openapi-document.js';
import type { Guards } from '../http/authenticate.js';
import { correlation } from '../http/correlation.js';
import { problemResponses } from '../http/errors.js';
import { healthRoutes, type ReadinessCheck } from '../http/health.js';
import { jsonBody } from '../http/json-body.js';
import { servedBy } from '../http/served-by.js';
import { httpMetricsMiddleware, type HttpMetrics } from '../observability/http-metrics.js';
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
  /** kernel operations (admin API …) declared beside the modules', documented like them */
  kernelRoutes?: readonly ((api: ApiRoutes) => void)[];
  /** kernel browser pages (the admin sign-in) that are not part of the API document */
  kernelPages?: readonly Router[];
  /** kernel middleware that owns a path of its own (the queue board), mounted before the routers */
  kernelMiddleware?: readonly Koa.Middleware[];
  /** checks every request passes before its body is read (service tokens, deadlines); failures are problems */
  edgeMiddleware?: readonly Koa.Middleware[];
  /** request rate and latency by route template (`/metrics`) */
  httpMetrics?: HttpMetrics;
}

/** A route as Koa serves it: what `/openapi.json` must describe, or knowingly leave out. */
export interface ServedRoute {
  method: string;
  path: string;
}

export interface HttpApp {
  app: Koa;
  /** the OpenAPI document of every operation declared through ApiRoutes */
  document: OpenApiDocument;
  /** every method and path the routers answer (HEAD left out: Koa adds it to each GET) */
  routes: readonly ServedRoute[];
}

const API_VERSION = '1.0.0';

/** A router per module; each of its operations first opens the request's scope in that module's container. */
function moduleRouter(hosted: HostedModule, guards: Guards, catalogue: ApiCatalogue): Router {
  const router = new Router();
  const moduleName = hosted.definition.name;
  const openScope: Middleware = async (ctx, next) => {
    ctx.state.module = moduleName;
    const scope = hosted.container.createScope();
    ctx.state.scope = scope;
    try {
      await next();
    } finally {
      await scope.dispose();
    }
  };
  const api = new ApiRoutes(router, guards, catalogue, [openScope]);
  hosted.definition.routes?.(api);
  api.assertHandled();
  return router;
}

function describe(catalogue: ApiCatalogue, modules: readonly HostedModule[]): OpenApiDocument {
  const hosted = modules.map((module) => module.definition.name).join(', ') || 'none';
  return openApiDocument(catalogue, {
    title: 'Commerce API',
    version: API_VERSION,
    description: `The operations this process serves (modules: ${hosted}). JSON only; every failure is \`application/problem+json\` (RFC 9457) with a stable \`code\`.`,
  });
}

/**
 * Builds the Koa application from the hosted modules, and the OpenAPI document of its
 * operations; it does not listen, so tests and extracted services decide where it runs.
 * @example const { app, document } = buildHttpApp({ config, log, guards, modules, readiness })
 */
export function buildHttpApp(parts: HttpAppParts): HttpApp {
  const app = new Koa({ proxy: parts.config.TRUST_PROXY });
  // Koa would print every error itself; ours are logged once, by the problem middleware.
  app.silent = true;
  const catalogue = new ApiCatalogue();
  // The modules' operations first: the document lists them in the order they are declared.
  const modules = parts.modules.map((hosted) => moduleRouter(hosted, parts.guards, catalogue));
  const kernel = new Router();
  const kernelApi = new ApiRoutes(kernel, parts.guards, catalogue);
  healthRoutes(kernelApi, parts.readiness);
  apiDocumentRoutes(kernelApi, () => document);
  for (const declare of parts.kernelRoutes ?? []) declare(kernelApi);
  kernelApi.assertHandled();
  // Once every operation is declared: the document is generated once and served as it is.
  const document = describe(catalogue, parts.modules);

  const root = new Router();
  for (const router of [kernel, ...(parts.kernelPages ?? []), apiReference({ documentUrl: '/openapi.json' }), ...modules]) root.use(router.routes());

  if (parts.httpMetrics) app.use(httpMetricsMiddleware(parts.httpMetrics));
  app.use(servedBy(parts.config.SERVICE_NAME));
  app.use(correlation(parts.log));
  app.use(problemResponses(parts.log));
  for (const middleware of parts.edgeMiddleware ?? []) app.use(middleware);
  app.use(helmet());
  app.use(jsonBody(parts.config.BODY_LIMIT));
  for (const middleware of parts.kernelMiddleware ?? []) app.use(middleware);
  app.use(root.routes());
  app.use(root.allowedMethods({ throw: true }));
  const routes = root.stack.flatMap((layer) => layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ method, path: String(layer.path) })));
  return { app, document, routes };
}
