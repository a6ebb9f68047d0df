import { createServer, type RequestListener, type Server } from 'node:http';
import { asValue, createContainer, InjectionMode } from 'awilix';
import type { Knex } from 'knex';
import type Koa from 'koa';
import type { ApiRoutes } from '../http/api/api-routes.js';
import type { Config } from '../config/config.js';
import { withCredentials } from '../db/database-url.js';
import { moduleDatabase } from '../db/module-database.js';
import { adminSessionRoutes } from '../admin/admin-session.js';
import { eventAdminRoutes } from '../admin/event-admin-routes.js';
import { queueBoard } from '../admin/queue-board.js';
import { sagaAdminRoutes } from '../admin/saga-admin-routes.js';
import { SagaEngine } from '../saga/saga-engine.js';
import { EventPipeline } from '../events/event-pipeline.js';
import { registerEventMetrics } from '../events/event-metrics.js';
import { connectRedis, type RedisClient } from '../events/redis-connection.js';
import { registerSingletonMetrics } from '../db/singleton-work.js';
import { registerSagaMetrics } from '../saga/saga-metrics.js';
import { OutboxWriter } from '../events/outbox-writer.js';
import { EventRouting } from '../events/event-routing.js';
import { createGuards } from '../http/authenticate.js';
import type { Logger } from '../observability/logger.js';
import { AccessTokens } from '../security/access-tokens.js';
import { buildHttpApp, type HostedModule, type HttpApp } from './http-app.js';
import { Facades } from './module-facades.js';
import { PlatformNetwork, type PlatformRole } from './platform-network.js';
import { facadeEndpoint } from '../http/facade-endpoint.js';
import { remoteFacade } from '../resilience/remote-facade.js';
import { createMetricsRegistry, metricsEndpoint } from '../observability/metrics.js';
import { createHttpMetrics } from '../observability/http-metrics.js';
import { routeAdminRoutes } from '../admin/route-admin-routes.js';
import { resilienceAdminRoutes } from '../admin/resilience-admin-routes.js';
import { moduleAdminRoutes } from '../admin/module-admin-routes.js';
import { moduleMapAtStartup } from '../architecture/module-map/runtime-module-map.js';
import { shadowMirror } from '../proxy/shadow-mirror.js';
import { requireServiceToken } from '../http/service-token-guard.js';
import { deadlineFromRequest } from '../resilience/deadline.js';
import type { ModuleContainer, ModuleDefinition, ModuleKernel, SeedOptions } from './module-definition.js';
import { PLATFORM_SCHEMA, schemaPlan } from './schema-plan.js';

export interface Platform {
  app: Koa;
  /** what the HTTP server runs: the strangler's front door around the app in the monolith, the app alone in a service */
  handler: RequestListener;
  /** service tokens, registry, route table, resilience: how this process reaches the others */
  network: PlatformNetwork;
  /** what the app serves: its OpenAPI document (also at `/openapi.json`) and every route */
  http: Pick<HttpApp, 'document' | 'routes'>;
  events: EventPipeline;
  modules: readonly HostedModule[];
  /** the kernel's own connection (platform schema) */
  platformDb: Knex;
  redis: RedisClient;
  seed(options: SeedOptions): Promise<void>;
  /** registers the hosted modules at `url` (heartbeat until close), once the process listens there */
  announce(url: string): Promise<void>;
  /** starts background work: outbox relays, event consumers, re-drives */
  start(): Promise<void>;
  /** stops background work and releases connections; the HTTP server is the caller's */
  close(): Promise<void>;
}

export interface PlatformParts {
  config: Config;
  log: Logger;
  /** the modules this process hosts */
  modules: readonly ModuleDefinition[];
  /** every module of the system (default: the hosted ones), so events reach consumers hosted elsewhere */
  catalog?: readonly ModuleDefinition[];
  /** `monolith` (default): the front door, which proxies what the route table sends away; `service`: an extracted service */
  role?: PlatformRole;
  clock?: () => Date;
  /** test seam of the outbox relay, see OutboxRelay */
  afterEnqueue?: (events: number) => Promise<void>;
}

type SharedKernel = Pick<ModuleKernel, 'config' | 'log' | 'redis' | 'tokens' | 'guards' | 'clock' | 'facades'>;

/**
 * Each module gets a container of its own (not a scope of a shared one), so it can
 * resolve the kernel and its own services but never another module's internals.
 */
function hostModule(shared: SharedKernel, definition: ModuleDefinition, db: Knex, queueConnection: RedisClient, routing: EventRouting): HostedModule {
  const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true }) as ModuleContainer;
  const { config } = shared;
  const log = shared.log.child({ module: definition.name });
  const sagas = new SagaEngine({
    module: definition.name, schema: definition.schema, db, definitions: definition.sagas ?? [], services: container.cradle,
    queueConnection, redisUrl: config.REDIS_URL, prefix: `${config.REDIS_PREFIX}:bull`, log,
    settings: {
      concurrency: config.SAGA_CONCURRENCY, leaseMs: config.SAGA_LEASE_MS, sweepMs: config.SAGA_SWEEP_MS, transactions: config.SAGA_TRANSACTIONS,
      policy: { stepAttempts: config.SAGA_STEP_ATTEMPTS, compensationAttempts: config.SAGA_COMPENSATION_ATTEMPTS, backoffMs: config.SAGA_BACKOFF_MS },
    },
  });
  container.register({
    config: asValue(shared.config),
    redis: asValue(shared.redis),
    tokens: asValue(shared.tokens),
    guards: asValue(shared.guards),
    clock: asValue(shared.clock),
    facades: asValue(shared.facades),
    moduleName: asValue(definition.name),
    schema: asValue(definition.schema),
    db: asValue(db),
    log: asValue(log),
    outbox: asValue(new OutboxWriter(definition.schema, shared.clock, routing)),
    sagas: asValue(sagas),
  });
  definition.register(container);
  return { definition, container };
}

/**
 * The composition root of a process: one container, one database role per module, the
 * HTTP app. The same function hosts all modules (monolith) or one (extracted service).
 * @example const platform = createPlatform({ config, log, modules: [userModule] })
 */
export function createPlatform(parts: PlatformParts): Platform {
  const { config, log } = parts;
  const clock = parts.clock ?? (() => new Date());
  const redis = connectRedis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
  redis.on('error', (error: Error) => log.warn({ err: error.message }, 'redis connection error'));
  const tokens = new AccessTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS, clock);
  const guards = createGuards(tokens);

  const role = parts.role ?? 'monolith';
  const catalog = parts.catalog ?? parts.modules;

  const databases = new Map<string, Knex>();
  for (const entry of schemaPlan(config, parts.modules)) {
    databases.set(entry.schema, moduleDatabase({
      url: entry.url, owner: entry.owner, applicationName: `commerce:${entry.schema}`,
      poolMax: entry.schema === PLATFORM_SCHEMA ? 2 : config.DATABASE_POOL_MAX,
    }));
  }
  const platformDb = databases.get(PLATFORM_SCHEMA)!;
  const metrics = createMetricsRegistry(config.SERVICE_NAME);
  const httpMetrics = createHttpMetrics(metrics);
  const network = new PlatformNetwork({ config, log, role, redis, platformDb, metrics, httpMetrics, hosted: parts.modules, catalog });

  const facadeProviders = new Map<string, () => unknown>();
  const facades = new Facades(facadeProviders, (key) => remoteFacade(key, network.caller));
  const shared: SharedKernel = { config, log, redis, tokens, guards, clock, facades };
  const queueRedis = connectRedis(config.REDIS_URL, { maxRetriesPerRequest: null });
  queueRedis.on('error', () => undefined);
  // Built from the whole catalog: an event is routed (and counted as consumed) wherever its consumers run.
  const routing = new EventRouting(catalog);
  const modules = parts.modules.map((definition) => hostModule(shared, definition, databases.get(definition.schema)!, queueRedis, routing));
  const sagaEngines = modules.map(({ definition, container }) => ({ module: definition.name, engine: container.cradle.sagas }));
  for (const { definition, container } of modules) {
    if (!definition.facade) continue;
    let facade: unknown;
    facadeProviders.set(definition.name, () => (facade ??= definition.facade!(container)));
  }
  const servedFacades = modules.flatMap(({ definition }) => (definition.facade
    ? [{ key: definition.facade.key, facade: () => facades.get(definition.facade!.key) as object }] : []));

  const platformOwner = schemaPlan(config, []).find((entry) => entry.schema === PLATFORM_SCHEMA)!.owner;
  const events = new EventPipeline({
    config, log, redis: queueRedis, routing,
    listenUrl: withCredentials(config.DATABASE_URL, platformOwner.role, platformOwner.password),
    hosted: modules.map(({ definition, container }) => ({
      name: definition.name, schema: definition.schema, db: container.cradle.db, subscriptions: definition.subscriptions ?? [],
      resolve: <T>(name: string) => container.resolve<T>(name),
    })),
    ...(parts.afterEnqueue ? { afterEnqueue: parts.afterEnqueue } : {}),
  });

  const queues = () => [...events.bus.allQueues(), ...sagaEngines.filter((s) => s.engine.hasSagas).map((s) => s.engine.queue)];
  registerEventMetrics(metrics, events, queues);
  registerSingletonMetrics(metrics, events.singletons);
  registerSagaMetrics(metrics, sagaEngines);
  const moduleMap = moduleMapAtStartup(catalog);
  const hostedNames = parts.modules.map((definition) => definition.name);
  const { app, document, routes } = buildHttpApp({
    config, log, guards, modules, httpMetrics,
    // An extracted service answers only our own processes; the deadline a caller sent bounds the work done for it.
    edgeMiddleware: [...(role === 'service' ? [requireServiceToken(network.tokens, hostedNames)] : []), deadlineFromRequest()],
    kernelRoutes: [
      (api) => eventAdminRoutes(api, events),
      (api) => sagaAdminRoutes(api, sagaEngines),
      (api) => resilienceAdminRoutes(api, network.resilience, network.faults),
      (api) => moduleAdminRoutes(api, { map: moduleMap, route: (module) => network.routes.route(module), hosted: network.hosted }),
      ...(role === 'monolith' ? [(api: ApiRoutes) => routeAdminRoutes(api, {
        routes: network.routes, directory: network.directory, comparisons: network.comparisons, modules: catalog.map((m) => m.name), hosted: network.hosted,
      })] : []),
    ],
    kernelPages: [adminSessionRoutes(tokens, { secureCookie: config.NODE_ENV === 'production' })],
    kernelMiddleware: [
      metricsEndpoint(metrics),
      facadeEndpoint(servedFacades, network.tokens),
      queueBoard({ basePath: '/admin/queues', queues, tokens }),
      ...(role === 'monolith' ? [shadowMirror({
        prefixes: network.prefixes, routes: network.routes, directory: network.directory, pools: network.pools, tokens: network.tokens,
        comparisons: network.comparisons, outcomes: network.shadowOutcomes, log, timeoutMs: config.PROXY_TIMEOUT_MS,
      })] : []),
    ],
    readiness: {
      postgres: async () => { await platformDb.raw('SELECT 1'); },
      redis: async () => { await redis.ping(); },
    },
  });

  return {
    app, handler: network.frontDoor(app.callback()), network, http: { document, routes }, events, modules, platformDb, redis,
    async seed(options) {
      for (const hosted of modules) await hosted.definition.seed?.(hosted.container, options);
    },
    announce: (url) => network.announce(url),
    async start() {
      await network.start();
      await events.start();
      for (const { engine } of sagaEngines) engine.startWorkers();
      for (const { definition, container } of modules) await definition.start?.(container);
    },
    async close() {
      await network.stop();
      await Promise.all(sagaEngines.map(({ engine }) => engine.stop()));
      await events.stop();
      queueRedis.disconnect();
      for (const hosted of modules) await hosted.container.dispose();
      await Promise.all([...databases.values()].map((db) => db.destroy()));
      redis.disconnect();
    },
  };
}

/** Starts listening with the platform's front door and resolves once the port is bound. */
export function listen(platform: Pick<Platform, 'handler'>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(platform.handler).listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
