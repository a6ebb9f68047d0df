import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from '../../src/db/module-database.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import { OrderStream } from './order-stream.js';

/**
 * The stream below the saga: a step decides on the state this process appended last, so
 * these tests make a second writer (another process's OrderStream) and rollbacks move the
 * stream behind that copy's back, and read what was written.
 */
let t: TestPlatform;
let admin: pg.Client;
let db: Knex;
let deps: { outbox: OutboxWriter; schema: string };

beforeAll(async () => {
  t = await startTestPlatform(allModules, { startEvents: false });
  admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
  const { cradle } = t.platform.modules.find((m) => m.definition.name === 'order')!.container;
  db = cradle.db;
  deps = { outbox: cradle.outbox, schema: cradle.schema };
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
});

async function placed(stream: OrderStream): Promise<string> {
  const orderId = uuidv7();
  const customerId = uuidv7();
  await db.transaction((trx) => stream.place(trx, {
    type: 'PlaceOrder', orderId, customerId, currency: 'EUR', paymentMethodId: uuidv7(),
    lines: [{ productId: uuidv7(), sku: 'SKU-1', name: 'One', quantity: 2, unitPriceCents: 500 }],
  }, { customerId, key: `key-${orderId}`, hash: 'h' }));
  return orderId;
}

/** Two processes' streams over one order, both having seen it placed. */
async function twoWriters() {
  const here = new OrderStream(deps);
  const elsewhere = new OrderStream(deps);
  return { here, elsewhere, orderId: await placed(here) };
}

const events = async (orderId: string) =>
  (await admin.query('SELECT version, event_type FROM orders.order_events WHERE order_id = $1 ORDER BY version', [orderId])).rows.map((row) => `${row.version}:${row.event_type}`);
const readModel = async (orderId: string) => (await admin.query('SELECT status, version FROM orders.orders WHERE id = $1', [orderId])).rows[0];
const published = async (orderId: string) =>
  (await admin.query(`SELECT data->>'to' AS "to" FROM orders.outbox WHERE aggregate_id = $1 AND event_type = 'OrderStatusChanged' ORDER BY position`, [orderId])).rows.map((row) => row.to);

describe('the order stream', () => {
  it('writes the event, the read model and the public event together', async () => {
    const stream = new OrderStream(deps);
    const orderId = await placed(stream);
    await db.transaction((trx) => stream.execute(trx, orderId, { type: 'MarkReserved', reservationId: 'r-1' }));
    expect(await events(orderId)).toEqual(['1:OrderPlaced', '2:InventoryReserved']);
    expect(await readModel(orderId)).toEqual({ status: 'RESERVED', version: 2 });
    expect(await published(orderId)).toEqual(['RESERVED']);
  });

  it('decides on the stream, not on its own out-of-date copy, when another writer moved the order', async () => {
    const { here, elsewhere, orderId } = await twoWriters();
    await db.transaction((trx) => elsewhere.execute(trx, orderId, { type: 'CancelOrder', reason: 'cancelled-by-customer', detail: '' }));

    // This process still remembers the order as PENDING, where reserving would be allowed.
    await expect(db.transaction((trx) => here.execute(trx, orderId, { type: 'MarkReserved', reservationId: 'r-2' }))).rejects.toThrow(/CANCELLED/);
    expect(await events(orderId)).toEqual(['1:OrderPlaced', '2:OrderCancelled']);
    expect(await readModel(orderId)).toEqual({ status: 'CANCELLED', version: 2 });
    expect(await published(orderId)).toEqual(['CANCELLED']);
  });

  it('appends after the other writer when its command still applies', async () => {
    const { here, elsewhere, orderId } = await twoWriters();
    await db.transaction((trx) => elsewhere.execute(trx, orderId, { type: 'MarkReserved', reservationId: 'r-3' }));
    await db.transaction((trx) => here.execute(trx, orderId, { type: 'RequestPayment' }));
    expect(await events(orderId)).toEqual(['1:OrderPlaced', '2:InventoryReserved', '3:PaymentRequested']);
    expect(await readModel(orderId)).toEqual({ status: 'AWAITING_PAYMENT', version: 3 });
  });

  it('leaves no gap after a rolled-back append: the next one takes the same version', async () => {
    const stream = new OrderStream(deps);
    const orderId = await placed(stream);
    await expect(db.transaction(async (trx) => {
      await stream.execute(trx, orderId, { type: 'MarkReserved', reservationId: 'r-4' });
      throw new Error('the step failed after its record');
    })).rejects.toThrow('the step failed');
    await db.transaction((trx) => stream.execute(trx, orderId, { type: 'MarkReserved', reservationId: 'r-4' }));
    expect(await events(orderId)).toEqual(['1:OrderPlaced', '2:InventoryReserved']);
    expect(await published(orderId)).toEqual(['RESERVED']);
  });

  it('starts no stream under an Idempotency-Key claimed already, and leaves the first order as it was', async () => {
    const stream = new OrderStream(deps);
    const customerId = uuidv7();
    const claim = { customerId, key: 'same-key', hash: 'h' };
    const command = (orderId: string) => ({
      type: 'PlaceOrder' as const, orderId, customerId, currency: 'EUR', paymentMethodId: uuidv7(),
      lines: [{ productId: uuidv7(), sku: 'SKU-1', name: 'One', quantity: 1, unitPriceCents: 500 }],
    });
    const [first, second] = [uuidv7(), uuidv7()];
    expect(await db.transaction((trx) => stream.place(trx, command(first), claim))).toMatchObject({ orderId: first, status: 'PENDING' });
    expect(await db.transaction((trx) => stream.place(trx, command(second), claim))).toBeUndefined();
    expect(await events(second)).toEqual([]);
    expect(await readModel(second)).toBeUndefined();
    expect((await admin.query('SELECT event_type FROM orders.outbox WHERE aggregate_id = $1', [second])).rows).toEqual([]);
    expect(await events(first)).toEqual(['1:OrderPlaced']);
    const { rows } = await admin.query('SELECT order_id FROM orders.idempotency_keys WHERE customer_id = $1', [customerId]);
    expect(rows).toEqual([{ order_id: first }]);
  });
});
