import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { allModules } from '../registry.js';
import {
  addCard, adminToken, newCustomer, outboxOf, paymentOf, paymentRequested, startPaymentPlatform,
  type Customer, type PaymentTestPlatform,
} from './testing/payment-test-kit.js';

let t: PaymentTestPlatform;
let admin: string;
let ada: Customer;

beforeAll(async () => {
  t = await startPaymentPlatform(allModules);
  admin = await adminToken(t);
  ada = await newCustomer(t);
});

afterAll(async () => {
  await t?.close();
});

async function paidOrder(customer: Customer, cardNumber = '4242424242424242', amountCents = 1_000) {
  const paymentMethodId = await addCard(t, customer, cardNumber);
  const orderId = uuidv7();
  await t.platform.events.bus.publish([paymentRequested({ orderId, customerId: customer.id, paymentMethodId, amountCents, currency: 'EUR' })]);
  return eventually(async () => {
    const payment = await paymentOf(t, orderId);
    expect(payment?.status).toMatch(/^(CAPTURED|FAILED)$/);
    return payment!;
  });
}

const refundRows = async (paymentId: string) => Number((await t.sql.query('SELECT count(*) FROM payments.refunds WHERE payment_id = $1', [paymentId])).rows[0].count);

function expectProblem(res: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (code) expect(res.body).toMatchObject({ status, code });
}

describe('refunds by an admin', () => {
  it('adds partial refunds up to the capture, publishing RefundProcessed for each', async () => {
    const payment = await paidOrder(ada);
    const first = await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, body: { amountCents: 300 } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: expect.any(String), paymentId: payment.id, amountCents: 300, currency: 'EUR', status: 'PENDING', reason: 'admin' });
    await eventually(async () => expect(await paymentOf(t, payment.order_id)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_cents: 300 }));

    const rest = await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, body: { amountCents: 700 } });
    expect(rest.status).toBe(201);
    await eventually(async () => expect(await paymentOf(t, payment.order_id)).toMatchObject({ status: 'REFUNDED', refunded_cents: 1_000 }));

    const refunds = (await outboxOf(t, payment.id)).filter((e) => e.event_type === 'RefundProcessed').map((e) => e.data);
    expect(refunds).toEqual([
      expect.objectContaining({ refundId: first.body.id, amountCents: 300, fullyRefunded: false }),
      expect.objectContaining({ refundId: rest.body.id, amountCents: 700, fullyRefunded: true }),
    ]);
  });

  it('refuses a refund past the capture with 422, counting refunds still under way', async () => {
    const payment = await paidOrder(ada);
    expect((await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, body: { amountCents: 600 } })).status).toBe(201);
    const over = await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, body: { amountCents: 401 } });
    expectProblem(over, 422, 'refund-exceeds-capture');
    expect(over.body.refundableCents).toBe(400);
    expectProblem(await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, body: { amountCents: 1_001 } }), 422, 'refund-exceeds-capture');
    expect(await refundRows(payment.id)).toBe(1);
  });

  it('lets concurrent refunds add up to the capture and no further', async () => {
    const payment = await paidOrder(ada);
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, body: { amountCents: 250 } })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 422, 422]);
    await eventually(async () => expect(await paymentOf(t, payment.order_id)).toMatchObject({ status: 'REFUNDED', refunded_cents: 1_000 }));
  });

  it('answers a repeated Idempotency-Key with the first refund', async () => {
    const payment = await paidOrder(ada);
    const headers = { 'idempotency-key': `refund-${payment.id}` };
    const first = await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, headers, body: { amountCents: 100 } });
    const again = await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, headers, body: { amountCents: 100 } });
    expect(again.body.id).toBe(first.body.id);
    expectProblem(await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, headers, body: { amountCents: 200 } }), 422, 'idempotency-key-reused');
    expect(await refundRows(payment.id)).toBe(1);
  });

  it('refuses to refund a payment that was never captured', async () => {
    const failed = await paidOrder(ada, '4000000000000002');
    expectProblem(await t.http.post(`/api/v1/payments/${failed.id}/refunds`, { token: admin, body: { amountCents: 100 } }), 409, 'payment-not-refundable');
  });

  it.each([
    ['a string amount', { amountCents: '100' }, 400],
    ['a zero amount', { amountCents: 0 }, 400],
    ['a negative amount', { amountCents: -5 }, 400],
    ['a fractional amount', { amountCents: 1.5 }, 400],
    ['an unknown field', { amountCents: 100, reason: 'x' }, 400],
    ['no body', undefined, 400],
  ])('rejects %s with a 4xx problem and stores nothing', async (_name, body, status) => {
    const payment = await paidOrder(ada);
    expectProblem(await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: admin, ...(body === undefined ? {} : { body }) }), status);
    expect(await refundRows(payment.id)).toBe(0);
  });

  it('answers 404 for an unknown payment, 400 for a malformed id, 403 to a customer, 401 without a token', async () => {
    const payment = await paidOrder(ada);
    expectProblem(await t.http.post(`/api/v1/payments/${uuidv7()}/refunds`, { token: admin, body: { amountCents: 1 } }), 404, 'payment-not-found');
    expectProblem(await t.http.post('/api/v1/payments/not-a-uuid/refunds', { token: admin, body: { amountCents: 1 } }), 400, 'validation-failed');
    expectProblem(await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { token: ada.token, body: { amountCents: 1 } }), 403, 'forbidden');
    expectProblem(await t.http.post(`/api/v1/payments/${payment.id}/refunds`, { body: { amountCents: 1 } }), 401, 'unauthenticated');
    expect(await refundRows(payment.id)).toBe(0);
  });
});

describe('listing payments', () => {
  it('shows a customer the payments of their own orders only, with brand, last four and refunds', async () => {
    const payment = await paidOrder(ada, '5555555555554444', 2_000);
    const mine = await t.http.get(`/api/v1/payments?orderId=${payment.order_id}`, { token: ada.token });
    expect(mine.status).toBe(200);
    expect(mine.body.items).toEqual([{
      id: payment.id, orderId: payment.order_id, status: 'CAPTURED', amountCents: 2_000, currency: 'EUR', refundedCents: 0,
      brand: 'mastercard', last4: '4444', failureReason: null, createdAt: expect.any(String), updatedAt: expect.any(String),
    }]);
    expect(JSON.stringify(mine.body)).not.toContain('5555555555554444');

    const bob = await newCustomer(t);
    const theirs = await t.http.get(`/api/v1/payments?orderId=${payment.order_id}`, { token: bob.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    expect((await t.http.get('/api/v1/payments', { token: bob.token })).body.items).toEqual([]);
    expect((await t.http.get(`/api/v1/payments?orderId=${payment.order_id}`, { token: admin })).body.items).toHaveLength(1);
  });

  it.each(['orderId=42', 'orderId=', 'customerId=x', 'limit=0'])('rejects ?%s with 400', async (query) => {
    expectProblem(await t.http.get(`/api/v1/payments?${query}`, { token: ada.token }), 400, 'validation-failed');
  });
});
