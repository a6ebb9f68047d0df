import { z } from 'zod';
import type { StartupModuleMap } from '../architecture/module-map/runtime-module-map.js';
import type { ApiRoutes } from '../http/api/api-routes.js';
import { RouteMode, type ModuleRoute } from '../proxy/module-route.js';

export interface ModuleAdminParts {
  /** the module map of the whole catalogue, computed once at start-up: `moduleMapAtStartup(catalog)` */
  map: StartupModuleMap;
  /** who serves a module now, read at each request, e.g. `(module) => network.routes.route(module)` */
  route(module: string): ModuleRoute;
  /** the modules this process hosts */
  hosted: ReadonlySet<string>;
}

const TAG = 'admin: modules';
const Timestamp = z.iso.datetime({ offset: true });
const Name = z.string();

const LiveRoute = z.object({
  module: Name, mode: RouteMode, canaryPercent: z.number().int(), canaryHeader: z.boolean(), targetUrl: z.string().nullable(),
  revision: z.number().int(), updatedBy: z.string(), updatedAt: Timestamp,
}).describe('who serves the module\'s traffic now (the strangler route table, as this instance reads it)');

const Facade = z.object({
  key: z.string().nullable().describe('the facade key\'s exported name, e.g. ProductCatalogApi (from the code; null when unknown here)'),
  interfaceName: z.string().nullable(),
  file: z.string().nullable().describe('where the key is declared'),
  methods: z.array(z.string()).describe('the methods the key names'),
});
const RouteCard = z.object({
  operationId: z.string(), method: z.string(), path: z.string().describe('Koa style: /api/v1/orders/:id'),
  access: z.enum(['public', 'user', 'admin']), summary: z.string(), tags: z.array(z.string()),
});
const Published = z.object({
  type: z.string(), version: z.number().int(),
  consumers: z.array(z.object({ module: Name, handler: z.string(), version: z.number().int(), filtered: z.boolean() })),
});
const Consumed = z.object({
  type: z.string(), version: z.number().int(), handler: z.string(), filtered: z.boolean(),
  publishers: z.array(z.object({ module: Name, version: z.number().int() })),
});
const SagaCard = z.object({
  name: z.string(),
  steps: z.array(z.object({
    name: z.string(), invoke: z.boolean(), record: z.boolean(), awaits: z.string().nullable().describe('the signal awaited after the step'),
    compensation: z.array(z.enum(['invoke', 'record'])), pivot: z.boolean(), withPrevious: z.boolean(),
  })),
});

const ModuleOverview = z.object({
  name: Name,
  description: z.string().nullable(),
  schema: z.string(),
  folder: z.string().nullable(),
  migrations: z.string(),
  routePrefixes: z.array(z.string()),
  facade: Facade.nullable(),
  routes: z.array(RouteCard),
  published: z.array(Published),
  consumed: z.array(Consumed),
  sagas: z.array(SagaCard),
  tables: z.array(z.object({ name: z.string(), migration: z.string() })),
  untracedCalls: z.array(z.object({ file: z.string(), expression: z.string() })),
  hostedHere: z.boolean().describe('the process that answered hosts this module'),
  route: LiveRoute,
}).meta({ id: 'ModuleOverview', description: 'One module: its public face, routes, events, sagas and tables, and who serves it now' });

const CallEdge = z.object({
  caller: Name, callee: Name, key: z.string(), methods: z.array(z.string()), files: z.array(z.string()),
});
const EventEdge = z.object({
  publisher: Name, consumer: Name, event: z.string(), version: z.number().int(), handler: z.string(), filtered: z.boolean(),
});

/** The answer of `GET /admin/modules`. */
export const ModuleMapView = z.object({
  mapVersion: z.literal(1),
  modules: z.array(ModuleOverview),
  calls: z.array(CallEdge).nullable().describe('synchronous facade calls, caller → callee; null when this process has no copy of docs/modules/module-map.json'),
  events: z.array(EventEdge).describe('publisher → consumer, one per consuming handler'),
  kernelTables: z.array(z.string()).describe('the kernel\'s tables in every module schema'),
  codeFacts: z.object({
    source: z.string().nullable(), current: z.boolean(), note: z.string(),
  }).describe('where the calls, facade keys and descriptions come from (the code analysis runs at build time, not here)'),
}).meta({ id: 'ModuleMap', description: 'Every module of the system and what ties them together: the map in docs/modules/, with live routes' });

export type ModuleMapView = z.infer<typeof ModuleMapView>;

/**
 * The module map as JSON: the same data as `docs/modules/` (module-map.json), with each
 * module's live route and whether this process hosts it.
 * @example moduleAdminRoutes(api, { map: moduleMapAtStartup(catalog), route: (module) => network.routes.route(module), hosted: network.hosted })
 */
export function moduleAdminRoutes(api: ApiRoutes, parts: ModuleAdminParts): void {
  api.describeTag(TAG, 'The module map: public faces, routes, events, sagas, tables, and who serves each module now');
  const { map, codeFacts } = parts.map;

  api.route({
    operationId: 'readModuleMap', method: 'get', path: '/admin/modules', summary: 'The module map, with who serves each module now', tags: [TAG], access: 'admin',
    description: 'Computed once when the process started, from the manifests of every module; the synchronous calls come from the committed `docs/modules/module-map.json` (see `codeFacts`). `route` is read at each request.',
    responses: { 200: { description: 'Every module of the system', body: ModuleMapView } },
  }).handle(() => ({
    status: 200,
    body: {
      mapVersion: map.mapVersion,
      modules: map.modules.map((module) => ({ ...module, hostedHere: parts.hosted.has(module.name), route: routeView(parts.route(module.name)) })),
      calls: map.calls,
      events: map.events,
      kernelTables: map.kernelTables,
      codeFacts,
    },
  }));
}

/** Only the fields the document declares, whatever else a route carries. */
const routeView = (route: ModuleRoute): z.input<typeof LiveRoute> => ({
  module: route.module, mode: route.mode, canaryPercent: route.canaryPercent, canaryHeader: route.canaryHeader, targetUrl: route.targetUrl,
  revision: route.revision, updatedBy: route.updatedBy, updatedAt: route.updatedAt,
});
