import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProblem } from '../../src/http/problem.js';
import { runWithContext } from '../../src/observability/request-context.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import { ProductCatalogApi, RESERVATION_NOT_HELD, type ProductCatalog } from './contract.js';
import { InventoryBatch } from './inventory-batch.js';
import { InventoryLedger } from './inventory-ledger.js';
import { productCradleOf } from './product-services.js';

let t: TestPlatform;
let db: pg.Pool;
let catalog: ProductCatalog;
let adminToken: string;
/** units each product has received (initial stock and stock set since): on_hand + sold must equal it */
const received = new Map<string, number>();
let sequence = 0;

async function product(stock: number, priceCents = 1000): Promise<string> {
  const res = await t.http.post('/api/v1/products', {
    token: adminToken, body: { sku: `INV-${Date.now()}-${++sequence}`, name: `Stock item ${sequence}`, description: '', priceCents, currency: 'EUR', stock },
  });
  expect(res.status).toBe(201);
  received.set(res.body.id as string, stock);
  return res.body.id as string;
}

const reservationId = () => `order-${uuidv7()}`;
const counters = async (id: string) =>
  (await db.query('SELECT on_hand - reserved AS available, reserved, sold FROM products.products WHERE id = $1', [id])).rows[0] as { available: number; reserved: number; sold: number };
const reservation = async (id: string) => (await db.query('SELECT status FROM products.reservations WHERE id = $1', [id])).rows[0]?.status as string | undefined;
const inventoryEvents = async (productId: string) =>
  (await db.query(`SELECT aggregate_version, data, metadata FROM products.outbox WHERE aggregate_id = $1 AND event_type = 'InventoryChanged' ORDER BY position`, [productId])).rows;

/**
 * The inventory invariant: no unit appears or disappears. Units received are either still
 * on hand (available or reserved) or sold, and the counters agree with the reservations.
 */
async function expectStockConserved(): Promise<void> {
  const { rows } = await db.query(`
    SELECT p.id, p.on_hand, p.reserved, p.sold,
           coalesce(sum(l.quantity) FILTER (WHERE r.status = 'RESERVED'), 0)::int AS held,
           coalesce(sum(l.quantity) FILTER (WHERE r.status = 'COMMITTED'), 0)::int AS committed
      FROM products.products p
      LEFT JOIN products.reservation_lines l ON l.product_id = p.id
      LEFT JOIN products.reservations r ON r.id = l.reservation_id
     GROUP BY p.id`);
  for (const row of rows) {
    expect({ id: row.id, units: row.on_hand + row.sold, reserved: row.reserved, sold: row.sold })
      .toEqual({ id: row.id, units: received.get(row.id), reserved: row.held, sold: row.committed });
  }
}

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  db = new pg.Pool({ connectionString: t.adminDatabaseUrl, max: 2 });
  adminToken = (await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } })).body.accessToken as string;
  const hosted = t.platform.modules.find((m) => m.definition.name === 'product')!;
  catalog = hosted.container.cradle.facades.get(ProductCatalogApi);
});

afterEach(async () => {
  await expectStockConserved();
});

afterAll(async () => {
  await db?.end();
  await t?.close();
});

describe('reserving inventory', () => {
  it('never oversells: 50 concurrent reservations for the last 10 units hold exactly 10', async () => {
    const id = await product(10);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => catalog.reserveInventory({ reservationId: reservationId(), items: [{ productId: id, quantity: 1 }] })));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
    expect(outcomes.filter((o) => !o.ok)).toEqual(Array(40).fill({ ok: false, reason: 'out-of-stock', productIds: [id] }));
    expect(await counters(id)).toEqual({ available: 0, reserved: 10, sold: 0 });
    const events = await inventoryEvents(id);
    expect(events).toHaveLength(10);
    // One version per move, none skipped or repeated: consumers can order the stream.
    expect(events.map((e) => e.aggregate_version)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    expect(events.at(-1)!.data).toMatchObject({ productId: id, reason: 'reserved', available: 0, reserved: 10, sold: 0 });
  });

  it('holds once for the same reservation id, however often and concurrently it arrives', async () => {
    const id = await product(5);
    const key = reservationId();
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 2 }] })));
    expect(outcomes).toEqual(Array(8).fill({ ok: true }));
    expect(await catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 2 }] })).toEqual({ ok: true });
    expect(await counters(id)).toEqual({ available: 3, reserved: 2, sold: 0 });
    expect(await inventoryEvents(id)).toHaveLength(1);
  });

  it('holds every line or none: one short product leaves the other untouched', async () => {
    const plenty = await product(10);
    const scarce = await product(3);
    const key = reservationId();
    // The scarce product is asked for twice: 2 + 2 units are more than its 3.
    const outcome = await catalog.reserveInventory({
      reservationId: key, items: [{ productId: plenty, quantity: 4 }, { productId: scarce, quantity: 2 }, { productId: scarce, quantity: 2 }],
    });
    expect(outcome).toEqual({ ok: false, reason: 'out-of-stock', productIds: [scarce] });
    expect(await counters(plenty)).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await counters(scarce)).toEqual({ available: 3, reserved: 0, sold: 0 });
    expect(await reservation(key)).toBeUndefined();
    expect([...(await inventoryEvents(plenty)), ...(await inventoryEvents(scarce))]).toHaveLength(0);
  });

  it('sums duplicate lines and moves each product once', async () => {
    const id = await product(10);
    expect(await catalog.reserveInventory({ reservationId: reservationId(), items: [{ productId: id, quantity: 3 }, { productId: id, quantity: 4 }] })).toEqual({ ok: true });
    expect(await counters(id)).toEqual({ available: 3, reserved: 7, sold: 0 });
    expect(await inventoryEvents(id)).toHaveLength(1);
  });

  it('reports an unknown product as out of stock and holds nothing', async () => {
    const id = await product(10);
    const ghost = '0190a000-0000-7000-8000-000000000000';
    expect(await catalog.reserveInventory({ reservationId: reservationId(), items: [{ productId: id, quantity: 1 }, { productId: ghost, quantity: 1 }, { productId: 'not-a-uuid', quantity: 1 }] }))
      .toEqual({ ok: false, reason: 'out-of-stock', productIds: [ghost, 'not-a-uuid'] });
    expect(await counters(id)).toEqual({ available: 10, reserved: 0, sold: 0 });
  });

  it('rejects a malformed command instead of guessing', async () => {
    const id = await product(10);
    for (const command of [
      { reservationId: '', items: [{ productId: id, quantity: 1 }] },
      { reservationId: reservationId(), items: [] },
      { reservationId: reservationId(), items: [{ productId: id, quantity: 0 }] },
      { reservationId: reservationId(), items: [{ productId: id, quantity: 1.5 }] },
    ]) {
      await expect(catalog.reserveInventory(command)).rejects.toThrow();
    }
    expect(await counters(id)).toEqual({ available: 10, reserved: 0, sold: 0 });
  });
});

describe('releasing and committing', () => {
  it('a release gives the units back once; a second release changes nothing', async () => {
    const id = await product(4);
    const key = reservationId();
    await catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 3 }] });
    await catalog.releaseInventory({ reservationId: key });
    await catalog.releaseInventory({ reservationId: key });
    expect(await counters(id)).toEqual({ available: 4, reserved: 0, sold: 0 });
    expect(await reservation(key)).toBe('RELEASED');
    expect((await inventoryEvents(id)).map((e) => [e.data.reason, e.data.reservationId, e.data.available])).toEqual([['reserved', key, 1], ['released', key, 4]]);
    // A retried reserve after the compensation does not hold again.
    expect(await catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 3 }] })).toEqual({ ok: false, reason: 'already-released' });
    expect(await counters(id)).toEqual({ available: 4, reserved: 0, sold: 0 });
  });

  it('a release that overtakes its reserve wins: the late reserve holds nothing', async () => {
    const id = await product(4);
    const key = reservationId();
    await catalog.releaseInventory({ reservationId: key });
    expect(await reservation(key)).toBe('RELEASED');
    expect(await catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 1 }] })).toEqual({ ok: false, reason: 'already-released' });
    expect(await counters(id)).toEqual({ available: 4, reserved: 0, sold: 0 });
    expect(await inventoryEvents(id)).toHaveLength(0);
  });

  it('a reserve and its release racing end with nothing held, whoever wins', async () => {
    const id = await product(20);
    const keys = Array.from({ length: 10 }, reservationId);
    await Promise.all(keys.flatMap((key) => [
      catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 1 }] }),
      catalog.releaseInventory({ reservationId: key }),
    ]));
    expect(await counters(id)).toEqual({ available: 20, reserved: 0, sold: 0 });
  });

  it('a commit turns held units into sold ones, once; a later release changes nothing', async () => {
    const shirt = await product(5);
    const socks = await product(8);
    const key = reservationId();
    await catalog.reserveInventory({ reservationId: key, items: [{ productId: shirt, quantity: 2 }, { productId: socks, quantity: 3 }] });
    await catalog.commitInventory({ reservationId: key });
    await catalog.commitInventory({ reservationId: key });
    await catalog.releaseInventory({ reservationId: key });
    expect(await counters(shirt)).toEqual({ available: 3, reserved: 0, sold: 2 });
    expect(await counters(socks)).toEqual({ available: 5, reserved: 0, sold: 3 });
    expect(await reservation(key)).toBe('COMMITTED');
    expect((await inventoryEvents(shirt)).map((e) => e.data)).toEqual([
      { productId: shirt, reason: 'reserved', reservationId: key, available: 3, reserved: 2, sold: 0 },
      { productId: shirt, reason: 'committed', reservationId: key, available: 3, reserved: 0, sold: 2 },
    ]);
    // Stock set by an admin later counts the unsold units only.
    const res = await t.http.put(`/api/v1/products/${shirt}/stock`, { token: adminToken, body: { stock: 10 } });
    expect(res.body.available).toBe(10);
    received.set(shirt, 10 + 2);
  });

  it('refuses to commit a reservation that holds nothing, and changes nothing', async () => {
    const id = await product(5);
    const released = reservationId();
    await catalog.reserveInventory({ reservationId: released, items: [{ productId: id, quantity: 1 }] });
    await catalog.releaseInventory({ reservationId: released });
    for (const key of [released, reservationId()]) {
      const error = await catalog.commitInventory({ reservationId: key }).catch((e: unknown) => e);
      expect(isProblem(error) && error.code).toBe(RESERVATION_NOT_HELD);
    }
    expect(await counters(id)).toEqual({ available: 5, reserved: 0, sold: 0 });
  });
});

describe('under concurrent load', () => {
  it('reservations over the same products in opposite orders neither deadlock nor lose units', async () => {
    const a = await product(100);
    const b = await product(100);
    const keys = Array.from({ length: 40 }, reservationId);
    const outcomes = await Promise.all(keys.map((key, i) => catalog.reserveInventory({
      reservationId: key, items: i % 2 ? [{ productId: a, quantity: 1 }, { productId: b, quantity: 2 }] : [{ productId: b, quantity: 2 }, { productId: a, quantity: 1 }],
    })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await Promise.all(keys.map((key, i) => (i % 3 === 0 ? catalog.commitInventory({ reservationId: key }) : catalog.releaseInventory({ reservationId: key }))));
    const sold = keys.filter((_, i) => i % 3 === 0).length;
    expect(await counters(a)).toEqual({ available: 100 - sold, reserved: 0, sold });
    expect(await counters(b)).toEqual({ available: 100 - 2 * sold, reserved: 0, sold: 2 * sold });
  });

  it('never oversells when several processes reserve at once, each batching its own callers', async () => {
    const id = await product(10);
    const cradle = productCradleOf(t.platform.modules.find((m) => m.definition.name === 'product')!.container);
    // Ledgers of their own, as other instances of the monolith on the same database would have.
    const ledgers = Array.from({ length: 3 }, () => new InventoryLedger({
      inventoryBatch: new InventoryBatch({ db: cradle.db, reservationRepository: cradle.reservationRepository, outbox: cradle.outbox }),
    }));
    const wanted = new Map([[id, 1]]);
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => ledgers[i % 3]!.submit({ kind: 'reserve', reservationId: reservationId(), wanted })));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
    expect(await counters(id)).toEqual({ available: 0, reserved: 10, sold: 0 });
  });

  it('is guarded by the database too: a row can never hold more than it has', async () => {
    const id = await product(2);
    const error = await db.query('UPDATE products.products SET reserved = on_hand + 1 WHERE id = $1', [id]).catch((e: { code?: string }) => e);
    expect((error as { code?: string }).code).toBe('23514');
  });

  it('stamps each caller\'s own correlation id on its events, even when moves share a transaction', async () => {
    const id = await product(30);
    const callers = Array.from({ length: 20 }, (_, i) => ({ correlationId: `caller-${i}-${uuidv7()}`, key: reservationId() }));
    await Promise.all(callers.map(({ correlationId, key }) =>
      runWithContext({ correlationId }, () => catalog.reserveInventory({ reservationId: key, items: [{ productId: id, quantity: 1 }] }))));
    const events = await inventoryEvents(id);
    expect(events).toHaveLength(20);
    const transactions = await db.query('SELECT DISTINCT committed_at FROM products.outbox WHERE aggregate_id = $1 AND event_type = $2', [id, 'InventoryChanged']);
    expect(transactions.rowCount).toBeLessThan(20);
    for (const event of events) {
      expect(event.metadata.correlationId).toBe(callers.find((c) => c.key === event.data.reservationId)!.correlationId);
    }
  });
});

describe('pricing', () => {
  it('prices lines in the order given', async () => {
    const mug = await product(1, 1200);
    const pot = await product(1, 3400);
    expect(await catalog.priceItems([{ productId: pot, quantity: 1 }, { productId: mug, quantity: 3 }])).toEqual({
      ok: true,
      lines: [
        { productId: pot, quantity: 1, sku: expect.any(String), name: expect.any(String), unitPriceCents: 3400, currency: 'EUR' },
        { productId: mug, quantity: 3, sku: expect.any(String), name: expect.any(String), unitPriceCents: 1200, currency: 'EUR' },
      ],
    });
  });

  it('names every unknown product', async () => {
    const mug = await product(1);
    const ghost = '0190a000-0000-7000-8000-00000000beef';
    expect(await catalog.priceItems([{ productId: ghost, quantity: 1 }, { productId: mug, quantity: 1 }, { productId: 'nope', quantity: 2 }]))
      .toEqual({ ok: false, reason: 'unknown-product', productIds: [ghost, 'nope'] });
  });
});
