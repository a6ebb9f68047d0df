import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { withDatabase } from './database-url.js';
import { migrateSchema } from './migrate.js';
import { testDatabaseName } from '../testing/test-database.js';

/** A release's migrations: a folder with one file per table it creates. */
async function release(root: string, name: string, tables: readonly string[]): Promise<string> {
  const folder = join(root, name);
  await mkdir(folder);
  for (const [index, table] of tables.entries()) {
    await writeFile(join(folder, `2026120100000${index}_${table}.mjs`),
      `export const up = (knex) => knex.schema.withSchema('shop').createTable('${table}', (t) => t.increments('id'));\n` +
      `export const down = (knex) => knex.schema.withSchema('shop').dropTable('${table}');\n`);
  }
  return folder;
}

const adminUrl = inject('adminDatabaseUrl');
const database = testDatabaseName(process.pid, 'db');
let root: string;
let db: Knex;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  db = knex({ client: 'pg', connection: withDatabase(adminUrl, database), pool: { min: 0, max: 2 } });
  await db.raw('CREATE SCHEMA shop');
  root = await mkdtemp(join(tmpdir(), 'cm-migrations-'));
});

afterAll(async () => {
  await db?.destroy();
  const admin = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.end();
  if (root) await rm(root, { recursive: true, force: true });
});

it('lets the previous release start on a schema a newer release migrated (an image rollback)', async () => {
  const newer = await release(root, 'v2', ['carts', 'wishlists']);
  const previous = await release(root, 'v1', ['carts']);
  expect(await migrateSchema(db, { schema: 'shop', folder: newer, withKernelTables: false })).toHaveLength(2);

  // The previous release neither refuses to start nor undoes what it does not know.
  await expect(migrateSchema(db, { schema: 'shop', folder: previous, withKernelTables: false })).resolves.toEqual([]);
  expect(await db.schema.withSchema('shop').hasTable('wishlists')).toBe(true);
  // And the newer release, rolled forward again, finds nothing left to do.
  expect(await migrateSchema(db, { schema: 'shop', folder: newer, withKernelTables: false })).toEqual([]);
});
