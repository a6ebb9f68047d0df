import { z } from 'zod';
import type { ServiceDirectory } from '../proxy/service-directory.js';
import type { ApiRoutes } from '../http/api/api-routes.js';
import { Conflict, NotFound } from '../http/problem.js';
import { RouteChange, RouteMode, type ModuleRoute } from '../proxy/module-route.js';
import type { RouteTable } from '../proxy/route-table.js';
import type { ShadowComparisons } from '../proxy/shadow-comparisons.js';

export interface RouteAdminParts {
  routes: RouteTable;
  directory: ServiceDirectory;
  comparisons: ShadowComparisons;
  /** every module of the system */
  modules: readonly string[];
  /** the modules this process hosts too */
  hosted: ReadonlySet<string>;
}

const TAG = 'admin: routes';
const Timestamp = z.iso.datetime({ offset: true });
const ModuleParams = z.strictObject({ module: z.string().describe('a module name, e.g. order') });

const Instance = z.object({ instanceId: z.string(), url: z.string(), kind: z.enum(['monolith', 'service']) });
const Route = z.object({
  module: z.string(), mode: RouteMode, canaryPercent: z.number().int(), canaryHeader: z.boolean(), targetUrl: z.string().nullable(),
  revision: z.number().int(), updatedBy: z.string(), updatedAt: Timestamp,
  hostedHere: z.boolean().describe('this instance can also serve the module itself (the fallback for reads)'),
  instances: z.array(Instance).describe('registered instances of the module, as this instance knows them'),
}).meta({ id: 'ModuleRoute', description: 'Who serves one module\'s traffic at the front door' });
const ShadowReport = z.object({
  module: z.string(), compared: z.number().int(), matched: z.number().int(), differed: z.number().int(), failed: z.number().int(), since: Timestamp,
  examples: z.array(z.object({
    at: Timestamp, method: z.string(), path: z.string(), correlationId: z.string(), localStatus: z.number().int(),
    remoteStatus: z.number().int().nullable(), difference: z.string(),
  })),
}).meta({ id: 'ShadowReport', description: 'What shadow mode found on this instance since it started (or was reset)' });

/**
 * The strangler's controls: read and change who serves each module. A change is stored in
 * the platform schema and every instance applies it within ROUTE_REFRESH_MS.
 * @example routeAdminRoutes(api, { routes, directory, comparisons, modules: ['user', 'order'], hosted })
 */
export function routeAdminRoutes(api: ApiRoutes, parts: RouteAdminParts): void {
  api.describeTag(TAG, 'The strangler route table: local, remote, canary or shadow per module');
  const { routes, directory, comparisons } = parts;

  const known = (module: string): string => {
    if (!parts.modules.includes(module)) throw NotFound(`No module ${module}; known: ${parts.modules.join(', ')}`);
    return module;
  };
  const view = async (route: ModuleRoute) => ({
    ...route, hostedHere: parts.hosted.has(route.module), instances: [...await directory.instancesOf(route.module)],
  });

  api.route({
    operationId: 'listRoutes', method: 'get', path: '/admin/routes', summary: 'Who serves each module', tags: [TAG], access: 'admin',
    responses: { 200: { description: 'Every module\'s route', body: z.object({ items: z.array(Route) }) } },
  }).handle(async () => ({ status: 200, body: { items: await Promise.all(routes.list(parts.modules).map(view)) } }));

  api.route({
    operationId: 'readRoute', method: 'get', path: '/admin/routes/:module', summary: 'Who serves one module', tags: [TAG], access: 'admin',
    request: { params: ModuleParams },
    responses: { 200: { description: 'The module\'s route', body: Route } },
    problems: [NotFound],
  }).handle(async ({ params }) => ({ status: 200, body: await view(routes.route(known(params.module))) }));

  api.route({
    operationId: 'changeRoute', method: 'put', path: '/admin/routes/:module', summary: 'Change who serves a module', tags: [TAG], access: 'admin',
    description: 'Every instance applies the change within a second. Sending traffic away needs a running extracted service (or a fixed `targetUrl`): without one the change is refused with 409, so no request is sent nowhere.',
    request: { params: ModuleParams, body: RouteChange },
    responses: { 200: { description: 'The route as it is now', body: Route } },
    problems: [NotFound, Conflict],
  }).handle(async ({ params, body, principal }) => {
    const module = known(params.module);
    if (body.mode !== 'local' && !(body.targetUrl ?? routes.route(module).targetUrl)) {
      const target = await directory.pick(module, { servicesOnly: true });
      if (!target) throw Conflict(`No ${module} service is registered: start one (npm run service -- ${module}) or give a targetUrl, then switch`);
    }
    if (body.mode === 'local' && !parts.hosted.has(module)) {
      throw Conflict(`This instance does not host ${module}, so it cannot serve it locally; host it (MODULES) before switching back`);
    }
    const route = await routes.change(module, body, `admin:${principal.userId}`);
    if (body.mode === 'shadow') comparisons.reset(module);
    return { status: 200, body: await view(route) };
  });

  api.route({
    operationId: 'readShadowReport', method: 'get', path: '/admin/routes/:module/shadow', summary: 'What shadow mode found for a module', tags: [TAG], access: 'admin',
    request: { params: ModuleParams },
    responses: { 200: { description: 'Comparisons of local and extracted answers on this instance', body: ShadowReport } },
    problems: [NotFound],
  }).handle(({ params }) => ({ status: 200, body: comparisons.report(known(params.module)) }));
}
