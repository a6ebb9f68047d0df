import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { withDatabase } from '../../src/db/database-url.js';
import { cloneDatabase, dropDatabase } from '../../src/db/provision.js';
import { createLogger } from '../../src/observability/logger.js';
import { ServiceRegistry } from '../../src/proxy/service-registry.js';
import { deleteRedisKeys } from '../../src/testing/redis-keys.js';
import { testDatabaseName } from '../../src/testing/test-database.js';
import { allModules } from '../../modules/registry.js';
import { migrationState, missingServices, parseWantedService } from './readiness-gates.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const log = createLogger({ level: 'silent', pretty: false });
const adminUrl = inject('adminDatabaseUrl');
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-gates-${randomUUID().slice(0, 8)}`;
const databases: string[] = [];
const configFor = (database: string) => loadConfig({ NODE_ENV: 'test', DATABASE_URL: withDatabase(adminUrl, database), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' });

/** Every migration file the repository carries, as `<schema>/<name>` (the kernel's tables in each module schema). */
function everyMigration(): string[] {
  const names = (folder: string) => readdirSync(new URL(`../../migrations/${folder}/`, import.meta.url)).filter((f) => /\.ts$/.test(f) && !f.endsWith('.test.ts')).map((f) => f.replace(/\.ts$/, ''));
  return [
    ...names('platform').map((n) => `platform/${n}`),
    ...allModules.flatMap((m) => [...names('every-module'), ...names(m.schema)].map((n) => `${m.schema}/${n}`)),
  ];
}

async function newDatabase(template?: string): Promise<string> {
  const name = testDatabaseName(inject('testRunPid'), 'db');
  databases.push(name);
  if (template) await cloneDatabase(adminUrl, template, name);
  else {
    await adminQuery('postgres', `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  }
  return name;
}

async function adminQuery(database: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, database) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(databases.map((name) => dropDatabase(adminUrl, name)));
});

describe('migrations gate', () => {
  it('passes on a migrated database, and names what a database lacks', async () => {
    const migrated = await newDatabase(inject('templateDatabase'));
    expect(await migrationState(configFor(migrated), allModules)).toEqual({ pending: [], unreadable: [] });

    // A database the Job has not reached yet: everything is pending, and nothing was created by looking.
    const empty = await newDatabase();
    const state = await migrationState(configFor(empty), allModules);
    expect(state.unreadable).toEqual([]);
    expect(state.pending.sort()).toEqual(everyMigration().sort());
    expect(await adminQuery(empty, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('knex_migrations', 'kernel_migrations')")).toEqual([{ n: 0 }]);

    // One migration of one module missing (an image newer than the schema): only that one is named.
    const behind = await newDatabase(inject('templateDatabase'));
    await adminQuery(behind, "DELETE FROM orders.knex_migrations WHERE name = '20261202000001_orders'");
    expect(await migrationState(configFor(behind), allModules.filter((m) => m.name === 'order'))).toEqual({ pending: ['orders/20261202000001_orders'], unreadable: [] });
  });

  it('as a command: exits 0 once migrated, 1 when its timeout passes first', async () => {
    const env = (database: string) => ({ ...process.env, NODE_ENV: 'test', DATABASE_URL: withDatabase(adminUrl, database), LOG_LEVEL: 'info' });
    const tsx = [fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url)), 'scripts/deploy/wait-for.ts'];
    const migrated = await newDatabase(inject('templateDatabase'));
    const ok = await run(process.execPath, [...tsx, 'migrations'], { cwd: ROOT, env: env(migrated) });
    expect(ok.stdout).toContain('every schema is migrated');

    const empty = await newDatabase();
    const failed = await run(process.execPath, [...tsx, 'migrations', '--timeout-seconds', '1', '--interval-ms', '200'], { cwd: ROOT, env: env(empty) }).catch((error: { code: number; stdout: string }) => error);
    expect('code' in failed && failed.code).toBe(1);
    expect(failed.stdout).toContain('gave up waiting');
    expect(failed.stdout).toContain('orders/20261202000001_orders');
  }, 60_000);
});

describe('service gate', () => {
  let redis: Redis;
  let registry: ServiceRegistry;
  beforeAll(() => { redis = new Redis(redisUrl); });
  afterAll(async () => {
    await registry?.deregister();
    await deleteRedisKeys(redis, `${prefix}*`);
    redis.disconnect();
  });

  it('waits for a live extracted instance at the wanted URL; the monolith hosting the module does not count', async () => {
    const config = configFor('unused');
    const wanted = ['order=http://order-service:3104/', 'payment'].map(parseWantedService);
    expect(wanted).toEqual([{ module: 'order', url: 'http://order-service:3104' }, { module: 'payment' }]);
    expect(await missingServices(redis, config, log, wanted)).toEqual(wanted);

    registry = new ServiceRegistry(redis, { prefix, heartbeatMs: 1_000, ttlMs: 60_000 }, log);
    await registry.register([
      { instanceId: 'mono', module: 'order', url: 'http://monolith:3000', kind: 'monolith' },
      { instanceId: 'laptop', module: 'order', url: 'http://127.0.0.1:3104', kind: 'service' },
      { instanceId: 'pay-1', module: 'payment', url: 'http://payment-service:3103', kind: 'service' },
    ]);
    expect(await missingServices(redis, config, log, wanted)).toEqual([wanted[0]]);
    await registry.register([{ instanceId: 'order-1', module: 'order', url: 'http://order-service:3104', kind: 'service' }]);
    // register() replaces what this registry heartbeats; the earlier entries stay live until their TTL.
    expect(await missingServices(redis, config, log, wanted)).toEqual([]);
    expect(() => parseWantedService('Order!')).toThrow(/not a module name/);
  });
});
