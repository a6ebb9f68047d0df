import knex, { type Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withDatabase } from './database-url.js';
import { PreparedStatement } from './prepared-statement.js';
import { testDatabaseName } from '../testing/test-database.js';

const adminUrl = inject('adminDatabaseUrl');
const database = testDatabaseName(process.pid, 'db');
let db: Knex;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE "${database}"`);
  // One connection: every run below meets the statements the earlier runs prepared.
  db = knex({ client: 'pg', connection: withDatabase(adminUrl, database), pool: { min: 1, max: 1 } });
  await db.raw('CREATE TABLE carts (id int PRIMARY KEY, owner text NOT NULL, items int NOT NULL DEFAULT 0)');
});

afterAll(async () => {
  await db?.destroy();
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
});

const preparedNames = async (trx: Knex | Knex.Transaction) =>
  ((await trx.raw('SELECT name FROM pg_prepared_statements')).rows as { name: string }[]).map((row) => row.name);

describe('PreparedStatement', () => {
  const addItem = new PreparedStatement<{ id: number; items: number }>('cart-add-item',
    `INSERT INTO carts AS c (id, owner, items) VALUES (?, ?, 1) ON CONFLICT (id) DO UPDATE SET items = c.items + 1 RETURNING c.id, c.items`,
  );

  it('runs with its bindings, on the pool and in a transaction, and stays prepared on the connection', async () => {
    expect((await addItem.run(db, [1, 'ada'])).rows).toEqual([{ id: 1, items: 1 }]);
    const inTransaction = await db.transaction(async (trx) => {
      const { rows } = await addItem.run(trx, [1, 'ada']);
      return { rows, prepared: await preparedNames(trx) };
    });
    expect(inTransaction.rows).toEqual([{ id: 1, items: 2 }]);
    expect(inTransaction.prepared).toContain(addItem.name);
    expect(await preparedNames(db)).toEqual([addItem.name]);
  });

  it('keeps working when a migration adds a column under it (its result columns are named)', async () => {
    await addItem.run(db, [2, 'grace']);
    await db.raw('ALTER TABLE carts ADD COLUMN coupon text');
    expect((await addItem.run(db, [2, 'grace'])).rows).toEqual([{ id: 2, items: 2 }]);
  });

  it('names two texts differently and the same text alike, after its label', () => {
    const count = 'SELECT count(*)::int AS n FROM carts';
    expect(new PreparedStatement('cart-count', count).name).toBe(new PreparedStatement('cart-count', count).name);
    expect(new PreparedStatement('cart-count', count).name).toMatch(/^cart-count\./);
    expect(new PreparedStatement('cart-count', count).name).not.toBe(new PreparedStatement('cart-count', `${count} WHERE items > 0`).name);
  });

  it('refuses a statement that returns *, which a migration would break once prepared', () => {
    expect(() => new PreparedStatement('cart-by-id', 'SELECT * FROM carts WHERE id = ?')).toThrow(/names its result columns/);
    expect(() => new PreparedStatement('cart-empty', 'UPDATE carts SET items = 0 RETURNING carts.*')).toThrow(/names its result columns/);
    expect(() => new PreparedStatement('Cart Count', 'SELECT count(*)::int AS n FROM carts')).toThrow(/label/);
  });
});
