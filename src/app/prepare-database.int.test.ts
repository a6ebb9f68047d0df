import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { loadConfig } from '../config/config.js';
import { withDatabase } from '../db/database-url.js';
import { dropDatabase } from '../db/provision.js';
import { createLogger } from '../observability/logger.js';
import { testDatabaseName } from '../testing/test-database.js';
import { prepareDatabase } from './prepare-database.js';

/**
 * Replicas, or the monolith started beside its extracted services, prepare the same fresh
 * database at the same moment: every one of them must start, none may find the catalog or
 * the migration lock taken and give up.
 */
const adminUrl = inject('adminDatabaseUrl');
const database = `${testDatabaseName(process.pid, 'db')}_starts`;
afterAll(() => dropDatabase(adminUrl, database));

it('lets several processes prepare one fresh database at once, each finding it ready', async () => {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: withDatabase(adminUrl, database), LOG_LEVEL: 'silent' });
  const log = createLogger({ level: 'silent', pretty: false });
  // The front door with every module, and services each hosting one, as `docker compose up` starts them.
  const starts = [allModules, ...allModules.map((module) => [module]), allModules];
  const outcomes = await Promise.allSettled(starts.map((modules) => prepareDatabase(config, modules, log)));
  expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);

  const admin = new pg.Client({ connectionString: withDatabase(adminUrl, database) });
  await admin.connect();
  try {
    // Each module's migrations ran once: every schema has its bookkeeping, and no migration twice.
    const { rows } = await admin.query(`
      SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'knex_migrations' ORDER BY 1`);
    expect(rows.map((row) => row.schema)).toEqual(expect.arrayContaining(allModules.map((module) => module.schema)));
    for (const { schema } of rows) {
      const twice = await admin.query(`SELECT name FROM ${pg.escapeIdentifier(schema)}.knex_migrations GROUP BY name HAVING count(*) > 1`);
      expect(twice.rows, `migrations applied twice in ${schema}`).toEqual([]);
    }
  } finally {
    await admin.end();
  }
});
