import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type { Knex } from 'knex';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { RedisClient } from '../events/redis-connection.js';
import { ServiceDirectory } from '../proxy/service-directory.js';
import { ServiceRegistry } from '../proxy/service-registry.js';
import type { Logger } from '../observability/logger.js';
import { ModuleCaller } from '../resilience/module-caller.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { parseResilienceSettings } from '../resilience/dependency-settings.js';
import { FaultInjector } from '../resilience/fault-injection.js';
import { Resilience } from '../resilience/resilience.js';
import { registerResilienceMetrics } from '../resilience/resilience-metrics.js';
import { ModulePrefixes } from '../proxy/module-prefixes.js';
import { RouteTable } from '../proxy/route-table.js';
import { ShadowComparisons } from '../proxy/shadow-comparisons.js';
import { createProxyMetrics, StranglerProxy } from '../proxy/strangler-proxy.js';
import type { HttpMetrics } from '../observability/http-metrics.js';
import { ServiceTokens } from '../security/service-tokens.js';
import type { ModuleDefinition } from './module-definition.js';

/** Whether this process is the front door (it proxies) or an extracted service (it only answers). */
export type PlatformRole = 'monolith' | 'service';

export interface NetworkParts {
  config: Config;
  log: Logger;
  role: PlatformRole;
  redis: RedisClient;
  platformDb: Knex;
  metrics: Registry;
  httpMetrics: HttpMetrics;
  hosted: readonly ModuleDefinition[];
  catalog: readonly ModuleDefinition[];
}

/**
 * Everything a process needs to reach the others and be reached: service tokens, the
 * registry and directory of instances, the route table, keep-alive pools, the resilience
 * policies, the module caller behind remote facades and, at the front door, the strangler
 * proxy. Built once per process, the same way in the monolith and in every service.
 */
export class PlatformNetwork {
  readonly instanceId = randomUUID();
  readonly tokens: ServiceTokens;
  readonly registry: ServiceRegistry;
  readonly directory: ServiceDirectory;
  readonly routes: RouteTable;
  readonly pools: UpstreamPools;
  readonly faults: FaultInjector;
  readonly resilience: Resilience;
  readonly caller: ModuleCaller;
  readonly prefixes: ModulePrefixes;
  readonly comparisons = new ShadowComparisons();
  readonly shadowOutcomes: Counter<'module' | 'outcome'>;
  readonly hosted: ReadonlySet<string>;
  private readonly proxy: StranglerProxy | undefined;

  constructor(private readonly parts: NetworkParts) {
    const { config, log } = parts;
    this.hosted = new Set(parts.hosted.map((module) => module.name));
    this.tokens = new ServiceTokens(config.INTERNAL_TOKEN_SECRET, config.SERVICE_NAME, config.SERVICE_TOKEN_TTL_SECONDS);
    this.registry = new ServiceRegistry(parts.redis, { prefix: config.REDIS_PREFIX, heartbeatMs: config.REGISTRY_HEARTBEAT_MS, ttlMs: config.REGISTRY_TTL_MS }, log);
    this.directory = new ServiceDirectory(this.registry, this.instanceId, {
      refreshMs: config.REGISTRY_HEARTBEAT_MS, ejectAfterFailures: config.OUTLIER_FAILURES, ejectionMs: config.OUTLIER_EJECTION_MS,
    }, log);
    this.routes = new RouteTable(parts.platformDb, config.ROUTE_REFRESH_MS, log);
    this.pools = new UpstreamPools({ connections: config.UPSTREAM_CONNECTIONS });
    this.faults = FaultInjector.fromConfig(config.FAULT_INJECTION, { log });
    this.resilience = new Resilience({ settings: parseResilienceSettings(config.RESILIENCE), faults: this.faults, log });
    registerResilienceMetrics(parts.metrics, this.resilience);
    this.shadowOutcomes = new Counter({
      name: 'shadow_comparisons_total', help: 'Reads mirrored to an extracted service in shadow mode, by outcome',
      labelNames: ['module', 'outcome'] as const, registers: [parts.metrics],
    });
    this.caller = new ModuleCaller({ directory: this.directory, routes: this.routes, pools: this.pools, tokens: this.tokens, policies: this.resilience });
    this.prefixes = new ModulePrefixes(parts.catalog.map((module) => ({ module: module.name, prefixes: module.routePrefixes })));
    this.proxy = parts.role === 'monolith'
      ? new StranglerProxy({
        prefixes: this.prefixes, hosted: this.hosted, routes: this.routes, directory: this.directory, pools: this.pools,
        tokens: this.tokens, policies: this.resilience, log, timeoutMs: config.PROXY_TIMEOUT_MS,
        metrics: createProxyMetrics(parts.metrics, parts.httpMetrics),
      })
      : undefined;
  }

  /** The process's request listener: the strangler's front door around the app, or the app alone. */
  frontDoor(app: RequestListener): RequestListener {
    return this.proxy ? this.proxy.frontDoor(app) : app;
  }

  async start(): Promise<void> {
    await this.routes.start();
    this.directory.start();
  }

  /** Registers every hosted module at `url`, once the process listens there. */
  async announce(url: string): Promise<void> {
    await this.registry.register(this.parts.hosted.map((module) => ({
      instanceId: this.instanceId, module: module.name, url, kind: this.parts.role,
    })));
  }

  async stop(): Promise<void> {
    await this.registry.deregister();
    this.directory.stop();
    this.routes.stop();
    await this.pools.close();
  }
}
