import type { AwilixContainer } from 'awilix';
import type { Knex } from 'knex';
import type { Config } from '../config/config.js';
import type { EventDefinition } from '../events/envelope.js';
import type { OutboxWriter } from '../events/outbox-writer.js';
import type { RedisClient } from '../events/redis-connection.js';
import type { EventSubscription } from '../events/subscription.js';
import type { ApiRoutes } from '../http/api/api-routes.js';
import type { Guards } from '../http/authenticate.js';
import type { Logger } from '../observability/logger.js';
import type { AccessTokens } from '../security/access-tokens.js';
import type { SagaDefinition } from '../saga/saga-definition.js';
import type { SagaEngine } from '../saga/saga-engine.js';
import type { FacadeProvider, ModuleFacades } from './module-facades.js';

/** What the kernel puts in every module's container; a module adds its private services beside it. */
export interface ModuleKernel {
  moduleName: string;
  schema: string;
  config: Config;
  log: Logger;
  db: Knex;
  redis: RedisClient;
  outbox: OutboxWriter;
  tokens: AccessTokens;
  guards: Guards;
  clock: () => Date;
  /** other modules' public APIs, typed by their facade keys */
  facades: ModuleFacades;
  /** starts and signals the module's own sagas (declared in its manifest) */
  sagas: SagaEngine;
}

export type ModuleContainer = AwilixContainer<ModuleKernel & Record<string, unknown>>;

export interface SeedOptions {
  demoData: boolean;
}

/**
 * A module's manifest: everything the kernel needs to host it, in the monolith or alone
 * in an extracted service. The kernel builds schema, role, migrations, DI, routes and
 * seed from this and nothing else.
 */
export interface ModuleDefinition {
  name: string;
  /** its own PostgreSQL schema; also names its login role */
  schema: string;
  /** absolute folder of its knex migrations (`migrations/<schema>/`) */
  migrations: string;
  /** URL path prefixes it owns: the unit the strangler proxy routes */
  routePrefixes: readonly string[];
  /** events it publishes, with their runtime schemas */
  publishes: readonly EventDefinition[];
  /** events it consumes: each handler runs once per event, in the module's transaction */
  subscriptions?: readonly EventSubscription[];
  /** durable sagas the module orchestrates; their steps get the module's container as `ctx.services` */
  sagas?: readonly SagaDefinition<any, any>[];
  /** registers the module's private services in its own container */
  register(container: ModuleContainer): void;
  /** the API other modules call synchronously, built from the module's own container */
  facade?: FacadeProvider<ModuleContainer>;
  /**
   * declares the module's HTTP operations with `api.route({...})`: each is served behind its
   * guard and described in `/openapi.json`; handlers reach the module's services with `cradleOf(ctx)`
   */
  routes?(api: ApiRoutes): void;
  /**
   * Starts background work of the module's own (beyond the kernel's relays, consumers and
   * sagas) when the platform starts; stop it in a disposer registered with the service.
   */
  start?(container: ModuleContainer): Promise<void> | void;
  /** idempotent: creates what a fresh installation needs (and demo data on request) */
  seed?(container: ModuleContainer, options: SeedOptions): Promise<void>;
}

/**
 * Identity function that gives a manifest its type where it is written.
 * @example export const userModule = defineModule({ name: 'user', schema: 'users', … })
 */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}
