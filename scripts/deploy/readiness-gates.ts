/**
 * What the init containers of deploy/kubernetes/ wait for before the application starts:
 * the schemas migrated by the migration Job, and (for the Job that switches a route) a live
 * instance of the extracted service. Both only read; neither migrates nor registers anything.
 */
import { fileURLToPath } from 'node:url';
import type { ModuleDefinition } from '../../src/app/module-definition.js';
import { schemaPlan } from '../../src/app/schema-plan.js';
import type { Config } from '../../src/config/config.js';
import { FolderMigrationSource } from '../../src/db/migration-source.js';
import { moduleDatabase, type Knex } from '../../src/db/module-database.js';
import type { RedisClient } from '../../src/events/redis-connection.js';
import type { Logger } from '../../src/observability/logger.js';
import { ServiceRegistry } from '../../src/proxy/service-registry.js';

/** The kernel's tables in every module schema (outbox, inbox …), as src/db/migrate.ts runs them. */
const EVERY_MODULE_MIGRATIONS = fileURLToPath(new URL('../../migrations/every-module/', import.meta.url));

export interface MigrationState {
  /** `<schema>/<migration>` not applied yet, in the order they would run */
  pending: string[];
  /** why a schema could not be read (its role or database does not exist yet, PostgreSQL is away …) */
  unreadable: string[];
}

/** Names recorded in a knex bookkeeping table; none when the schema or the table does not exist yet. */
async function appliedMigrations(db: Knex, schema: string, table: string): Promise<Set<string>> {
  const { rows } = await db.raw<{ rows: { exists: boolean }[] }>('SELECT to_regclass(?) IS NOT NULL AS "exists"', [`"${schema}"."${table}"`]);
  if (!rows[0]?.exists) return new Set();
  const applied = await db.withSchema(schema).table(table).select<{ name: string }[]>('name');
  return new Set(applied.map((row) => row.name));
}

/**
 * Compares every migration this build carries with what each schema has applied, connecting
 * as the schema's owner (as the migrator does). Never creates the bookkeeping tables, unlike
 * knex's `migrate.list`, so it cannot race the migration Job.
 * @example const { pending, unreadable } = await migrationState(config, allModules)
 */
export async function migrationState(config: Config, modules: readonly ModuleDefinition[]): Promise<MigrationState> {
  const state: MigrationState = { pending: [], unreadable: [] };
  for (const entry of schemaPlan(config, modules)) {
    const runs = [
      ...(entry.withKernelTables ? [{ folder: EVERY_MODULE_MIGRATIONS, table: 'kernel_migrations' }] : []),
      { folder: entry.folder, table: 'knex_migrations' },
    ];
    const db = moduleDatabase({ url: entry.url, owner: entry.owner, poolMax: 1, applicationName: 'commerce:wait-for-migrations' });
    try {
      for (const run of runs) {
        const carried = await new FolderMigrationSource(run.folder).getMigrations();
        const applied = await appliedMigrations(db, entry.schema, run.table);
        state.pending.push(...carried.filter((migration) => !applied.has(migration.name)).map((migration) => `${entry.schema}/${migration.name}`));
      }
    } catch (error) {
      state.unreadable.push(`${entry.schema}: ${(error as Error).message}`);
    } finally {
      await db.destroy();
    }
  }
  return state;
}

export interface WantedService {
  module: string;
  /** the instance must advertise this URL (the Kubernetes Service), when given */
  url?: string;
}

/** `order` or `order=http://order-service:3104`, as the command line takes them. */
export function parseWantedService(text: string): WantedService {
  const [module = '', url] = text.split(/=(.*)/s);
  if (!/^[a-z][a-z0-9-]*$/.test(module)) throw new Error(`not a module name: ${text}`);
  return url ? { module, url: url.replace(/\/$/, '') } : { module };
}

/**
 * The wanted services that have no live extracted instance in the registry (Redis) yet.
 * An instance registers itself once it listens, and keeps heartbeating while it runs.
 * @example await missingServices(redis, config, log, [{ module: 'order', url: 'http://order-service:3104' }]) // []
 */
export async function missingServices(redis: RedisClient, config: Config, log: Logger, wanted: readonly WantedService[]): Promise<WantedService[]> {
  const registry = new ServiceRegistry(redis, { prefix: config.REDIS_PREFIX, heartbeatMs: config.REGISTRY_HEARTBEAT_MS, ttlMs: config.REGISTRY_TTL_MS }, log);
  const missing: WantedService[] = [];
  for (const service of wanted) {
    const live = await registry.live(service.module);
    const found = live.some((instance) => instance.kind === 'service' && (service.url === undefined || instance.url.replace(/\/$/, '') === service.url));
    if (!found) missing.push(service);
  }
  return missing;
}
