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

  it('runs inside the transaction it is given: a rollback takes its write back', async () => {
    await expect(db.transaction(async (trx) => {
      await addItem.run(trx, [3, 'hedy']);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect((await db('carts').where({ id: 3 })).length).toBe(0);
  });

  it('refuses to run in a transaction that has ended, rather than on whatever the connection does next', async () => {
    let ended: Knex.Transaction | undefined;
    await db.transaction(async (trx) => { ended = trx; });
    await expect(addItem.run(ended!, [4, 'katherine'])).rejects.toThrow(/transaction that has ended/);
    expect((await db('carts').where({ id: 4 })).length).toBe(0);
  });

  it('says what is wrong with its bindings before sending anything', async () => {
    await expect(addItem.run(db, [5])).rejects.toThrow(/takes 2 bindings, got 1/);
    await expect(addItem.run(db, [5, undefined as unknown as string])).rejects.toThrow(/undefined binding/);
    await expect(addItem.run(db, [5, db.raw('now()::text')])).rejects.toThrow(/SQL as a binding/);
    expect((await db('carts').where({ id: 5 })).length).toBe(0);
  });

  it("keeps an escaped \\? as PostgreSQL's own operator and refuses identifier bindings", async () => {
    const hasKey = new PreparedStatement<{ has: boolean }>('json-has-key', `SELECT ?::jsonb \\? ? AS has`);
    expect((await hasKey.run(db, [JSON.stringify({ sku: 1 }), 'sku'])).rows).toEqual([{ has: true }]);
    expect(() => new PreparedStatement('cart-column', 'SELECT ?? FROM carts')).toThrow(/identifier bindings/);
  });

  it("is seen by knex's query events, as every other statement is (the statement counts of bench:order-statements)", async () => {
    const seen: { sql: string; options?: { name?: string } }[] = [];
    const answered: unknown[] = [];
    const onQuery = (query: { sql: string; options?: { name?: string } }) => seen.push(query);
    const onResponse = (response: unknown) => answered.push(response);
    db.on('query', onQuery).on('query-response', onResponse);
    try {
      await db.transaction((trx) => addItem.run(trx, [6, 'margaret']));
    } finally {
      db.off('query', onQuery).off('query-response', onResponse);
    }
    expect(seen.map((query) => query.sql)).toEqual(['BEGIN;', expect.stringContaining('VALUES ($1, $2, 1)'), 'COMMIT;']);
    expect(seen[1]!.options?.name).toBe(addItem.name);
    expect(answered).toEqual([expect.objectContaining({ rows: [{ id: 6, items: 1 }] })]);
  });
});
