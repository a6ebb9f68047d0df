import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from '../../src/security/access-tokens.js';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import { expectNoStrayCharges, expectStockConserved, login, newCustomer, newProduct, placeOrder, settledOrder, type Customer } from './testing/shop.js';

/** The order saga end to end, through the HTTP API, with a real SMTP server receiving the mail. */
let t: TestPlatform;
let admin: pg.Client;
let adminToken: string;
let smtp: SMTPServer;
const mailbox: { to: string[]; raw: string }[] = [];
const initialStock = new Map<string, number>();

async function product(stock: number, priceCents = 1_250): Promise<string> {
  const id = await newProduct(t.http, adminToken, stock, priceCents);
  initialStock.set(id, stock);
  return id;
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mailbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  // The payment deadline sits well above what a payment takes on a busy machine, so only the
  // slow test card (SANDBOX_SLOW_MS) misses it.
  t = await startTestPlatform(allModules, {
    env: { SMTP_URL: `smtp://127.0.0.1:${port}`, ORDER_PAYMENT_DEADLINE_MS: '4000', SANDBOX_SLOW_MS: '6000', SAGA_BACKOFF_MS: '50', SAGA_SWEEP_MS: '500' },
  });
  admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
  adminToken = await login(t.http, t.config.ADMIN_EMAIL, t.config.ADMIN_PASSWORD);
});
afterEach(async () => {
  await expectStockConserved(admin, initialStock);
  await expectNoStrayCharges(admin);
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

describe('placing an order', () => {
  it('confirms a paid order, sells the units, and emails the confirmation once', async () => {
    const customer = await newCustomer(t.http, ['approves']);
    const productId = await product(5);
    const placed = await placeOrder(t.http, customer, [{ productId, quantity: 2 }]);
    expect(placed.status).toBe(202);
    expect(placed.body.status).toBe('PENDING');

    const order = await settledOrder(t.http, customer, placed.body.id);
    expect(order).toMatchObject({ status: 'CONFIRMED', totalCents: 2_500, cancellationReason: null });
    expect(order.paymentId).toEqual(expect.any(String));
    const stock = (await t.http.get(`/api/v1/products/${productId}`)).body;
    expect(stock.available).toBe(3);

    const history = await t.http.get<{ events: { type: string; version: number }[] }>(`/api/v1/orders/${placed.body.id}/history`, { token: customer.token });
    expect(history.body.events.map((e) => e.type)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentCaptured', 'OrderConfirmed']);
    expect(history.body.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);

    const confirmations = () => mailbox.filter((mail) => mail.to.includes(customer.email) && /confirmed/i.test(mail.raw));
    await eventually(() => expect(confirmations()).toHaveLength(1), 10_000);
  });

  it('cancels an order paid with a declined card and gives the stock back', async () => {
    const customer = await newCustomer(t.http, ['declined']);
    const productId = await product(3);
    const placed = await placeOrder(t.http, customer, [{ productId, quantity: 3 }], 'declined');
    const order = await settledOrder(t.http, customer, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment-declined' });
    expect((await t.http.get(`/api/v1/products/${productId}`)).body.available).toBe(3);
    expect(mailbox.filter((mail) => mail.to.includes(customer.email) && /confirmed/i.test(mail.raw))).toHaveLength(0);
  });

  it('cancels an order for more than is in stock and charges nothing', async () => {
    const customer = await newCustomer(t.http, ['approves']);
    const productId = await product(1);
    const placed = await placeOrder(t.http, customer, [{ productId, quantity: 2 }]);
    const order = await settledOrder(t.http, customer, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'out-of-stock' });
    const payments = await t.http.get<{ items: unknown[] }>(`/api/v1/payments?orderId=${placed.body.id}`, { token: customer.token });
    expect(payments.status).toBe(200);
    expect(payments.body.items).toEqual([]);
  });

  it('retries a gateway that fails for a moment and confirms', async () => {
    const customer = await newCustomer(t.http, ['transient']);
    const placed = await placeOrder(t.http, customer, [{ productId: await product(2), quantity: 1 }], 'transient');
    expect((await settledOrder(t.http, customer, placed.body.id)).status).toBe('CONFIRMED');
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM payments.payments WHERE order_id = $1', [placed.body.id]);
    expect(rows[0].n).toBe(1);
  });

  it('compensates an order whose payment answers after the deadline, and refunds a late charge', async () => {
    const customer = await newCustomer(t.http, ['slow']);
    const productId = await product(2);
    const placed = await placeOrder(t.http, customer, [{ productId, quantity: 2 }], 'slow');
    const order = await settledOrder(t.http, customer, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'payment-timeout' });
    expect((await t.http.get(`/api/v1/products/${productId}`)).body.available).toBe(2);
    // The slow charge lands after the order was cancelled: it must end refunded (checked after each test).
  });

  it('sells exactly the stock when 50 customers race for 10 units', async () => {
    const productId = await product(10);
    const customers = await Promise.all(Array.from({ length: 50 }, () => newCustomer(t.http, ['approves'])));
    const placed = await Promise.all(customers.map((customer) => placeOrder(t.http, customer, [{ productId, quantity: 1 }])));
    expect(placed.every((res) => res.status === 202)).toBe(true);
    const orders = await Promise.all(placed.map((res, index) => settledOrder(t.http, customers[index]!, res.body.id, 60_000)));
    expect(orders.filter((order) => order.status === 'CONFIRMED')).toHaveLength(10);
    expect(orders.filter((order) => order.status === 'CANCELLED').every((order) => order.cancellationReason === 'out-of-stock')).toBe(true);
    expect((await t.http.get(`/api/v1/products/${productId}`)).body.available).toBe(0);
  }, 120_000);
});

describe('Idempotency-Key', () => {
  it('answers a repeated request with the same order, and places no second one', async () => {
    const customer = await newCustomer(t.http, ['approves']);
    const productId = await product(5);
    const key = randomUUID();
    const [first, second] = await Promise.all([placeOrder(t.http, customer, [{ productId, quantity: 1 }], 'approves', key), placeOrder(t.http, customer, [{ productId, quantity: 1 }], 'approves', key)]);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    const third = await placeOrder(t.http, customer, [{ productId, quantity: 1 }], 'approves', key);
    expect(third.body).toEqual(first.body);
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    await settledOrder(t.http, customer, first.body.id);
    expect((await t.http.get<{ items: unknown[] }>('/api/v1/orders', { token: customer.token })).body.items).toHaveLength(1);
  });

  it('refuses the same key with another body (422) and a request without a key (400)', async () => {
    const customer = await newCustomer(t.http, ['approves']);
    const productId = await product(5);
    const key = randomUUID();
    await settledOrder(t.http, customer, (await placeOrder(t.http, customer, [{ productId, quantity: 1 }], 'approves', key)).body.id);
    const other = await placeOrder(t.http, customer, [{ productId, quantity: 2 }], 'approves', key);
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    const missing = await t.http.post('/api/v1/orders', { token: customer.token, body: { items: [{ productId, quantity: 1 }], paymentMethodId: customer.cards.approves } });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('idempotency-key-missing');
  });
});

describe('cancelling', () => {
  it('refunds and cancels a confirmed order', async () => {
    const customer = await newCustomer(t.http, ['approves']);
    const placed = await placeOrder(t.http, customer, [{ productId: await product(4), quantity: 1 }]);
    expect((await settledOrder(t.http, customer, placed.body.id)).status).toBe('CONFIRMED');
    const cancelled = await t.http.post(`/api/v1/orders/${placed.body.id}/cancel`, { token: customer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', cancellationReason: 'cancelled-by-customer' });
    await eventually(async () => {
      const payments = await t.http.get<{ items: { refundedCents: number; amountCents: number }[] }>(`/api/v1/payments?orderId=${placed.body.id}`, { token: customer.token });
      expect(payments.body.items[0]?.refundedCents).toBe(payments.body.items[0]?.amountCents);
    });
  });

  it('stops an order still waiting for its payment and undoes what was done', async () => {
    const customer = await newCustomer(t.http, ['slow']);
    const productId = await product(2);
    const placed = await placeOrder(t.http, customer, [{ productId, quantity: 1 }], 'slow');
    await eventually(async () => expect((await t.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token })).body.status).toBe('AWAITING_PAYMENT'));
    const asked = await t.http.post(`/api/v1/orders/${placed.body.id}/cancel`, { token: customer.token });
    expect(asked.status).toBe(202);
    expect(await settledOrder(t.http, customer, placed.body.id)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'cancelled-by-customer' });
  });
});

describe('what a customer may see and send', () => {
  let alice: Customer;
  let bob: Customer;
  let productId: string;
  let aliceOrder: string;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([newCustomer(t.http, ['approves']), newCustomer(t.http, ['approves'])]);
    productId = await product(5);
    aliceOrder = (await placeOrder(t.http, alice, [{ productId, quantity: 1 }])).body.id;
    await settledOrder(t.http, alice, aliceOrder);
  });

  it("hides another customer's order and its history", async () => {
    for (const path of [`/api/v1/orders/${aliceOrder}`, `/api/v1/orders/${aliceOrder}/history`]) {
      const res = await t.http.get(path, { token: bob.token });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await t.http.post(`/api/v1/orders/${aliceOrder}/cancel`, { token: bob.token })).status).toBe(404);
    expect((await t.http.get<{ items: unknown[] }>('/api/v1/orders', { token: bob.token })).body.items).toEqual([]);
  });

  it('refuses bad orders with a 4xx problem and changes nothing', async () => {
    const countOrders = async () => (await admin.query('SELECT count(*)::int AS n FROM orders.orders')).rows[0].n as number;
    const before = await countOrders();
    const line = { productId, quantity: 1 };
    const bad: [string, unknown, Customer?][] = [
      ['wrong types', { items: [{ productId, quantity: '1' }], paymentMethodId: alice.cards.approves }],
      ['unknown field', { items: [line], paymentMethodId: alice.cards.approves, discount: 100 }],
      ['negative quantity', { items: [{ productId, quantity: -1 }], paymentMethodId: alice.cards.approves }],
      ['zero quantity', { items: [{ productId, quantity: 0 }], paymentMethodId: alice.cards.approves }],
      ['huge cart', { items: Array.from({ length: 500 }, () => line), paymentMethodId: alice.cards.approves }],
      ['huge quantity', { items: [{ productId, quantity: 1_000_000 }], paymentMethodId: alice.cards.approves }],
      ['empty cart', { items: [], paymentMethodId: alice.cards.approves }],
      ['unknown product', { items: [{ productId: randomUUID(), quantity: 1 }], paymentMethodId: alice.cards.approves }],
      ["another customer's card", { items: [line], paymentMethodId: bob.cards.approves }],
      ['not an id', { items: [{ productId: 'abc', quantity: 1 }], paymentMethodId: alice.cards.approves }],
    ];
    for (const [what, body] of bad) {
      const res = await t.http.post('/api/v1/orders', { token: alice.token, headers: { 'idempotency-key': randomUUID() }, body });
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expect(res.headers.get('content-type'), what).toContain('application/problem+json');
    }
    const forged = `${alice.token.slice(0, -4)}AAAA`;
    // Signed with the real key, but it ran out an hour ago.
    const aliceId = JSON.parse(Buffer.from(alice.token.split('.')[1]!, 'base64url').toString()).sub as string;
    const expired = (await new AccessTokens(t.config.JWT_SECRET, 60, () => new Date(Date.now() - 3_600_000)).issue({ userId: aliceId, role: 'customer' })).accessToken;
    for (const token of [forged, expired, 'not-a-token', undefined]) {
      const res = await t.http.post('/api/v1/orders', { ...(token ? { token } : {}), headers: { 'idempotency-key': randomUUID() }, body: { items: [line], paymentMethodId: alice.cards.approves } });
      expect(res.status).toBe(401);
    }
    expect((await t.http.get('/api/v1/orders/not-an-id', { token: alice.token })).status).toBe(404);
    expect((await t.http.get('/api/v1/orders?limit=0', { token: alice.token })).status).toBe(400);
    expect(await countOrders()).toBe(before);
  });
});
