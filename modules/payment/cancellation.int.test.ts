import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { allModules } from '../registry.js';
import type { PaymentService } from './contract.js';
import {
  addCard, chargesAtGateway, newCustomer, outboxOf, paymentOf, paymentRequested, startPaymentPlatform,
  type Customer, type PaymentTestPlatform,
} from './testing/payment-test-kit.js';

/**
 * cancelPayment at every stage of a payment. The invariant: a captured payment of a
 * cancelled order always ends up refunded in full, and nothing is charged after a
 * cancellation that answered `nothing-charged`. The slow card takes 1.5 s here, inside
 * the gateway timeout, so a cancellation can land while its charge is under way.
 */
let t: PaymentTestPlatform;
let ada: Customer;
let payments: PaymentService;
const cancelledOrders: string[] = [];

beforeAll(async () => {
  t = await startPaymentPlatform(allModules, { env: { SANDBOX_SLOW_MS: '1500', PAYMENT_GATEWAY_TIMEOUT_MS: '5000' } });
  ada = await newCustomer(t);
  const hosted = t.platform.modules.find((module) => module.definition.name === 'payment')!;
  payments = hosted.definition.facade!(hosted.container) as PaymentService;
});

afterAll(async () => {
  await t?.close();
});

async function request(cardNumber = '4242424242424242', amountCents = 3_000) {
  const paymentMethodId = await addCard(t, ada, cardNumber);
  const data = { orderId: uuidv7(), customerId: ada.id, paymentMethodId, amountCents, currency: 'EUR' };
  await t.platform.events.bus.publish([paymentRequested(data)]);
  return data;
}

const cancel = (orderId: string) => {
  cancelledOrders.push(orderId);
  return payments.cancelPayment({ orderId, reason: 'customer-cancelled' });
};

const statusOf = (orderId: string, status: string) => eventually(async () => {
  const payment = await paymentOf(t, orderId);
  expect(payment?.status).toBe(status);
  return payment!;
}, 15_000);

describe('cancelling a payment', () => {
  it('before the request: answers nothing-charged, and the late request charges nothing', async () => {
    const paymentMethodId = await addCard(t, ada);
    const data = { orderId: uuidv7(), customerId: ada.id, paymentMethodId, amountCents: 1_000, currency: 'EUR' };
    expect(await cancel(data.orderId)).toEqual({ status: 'nothing-charged' });
    const late = paymentRequested(data);
    await t.platform.events.bus.publish([late]);
    await eventually(async () => {
      expect((await t.sql.query('SELECT 1 FROM payments.inbox WHERE event_id = $1', [late.eventId])).rowCount).toBe(1);
    });
    expect(await paymentOf(t, data.orderId)).toBeUndefined();
    expect(await cancel(data.orderId)).toEqual({ status: 'nothing-charged' });
  });

  it('after a capture: refunds in full with its own key and publishes RefundProcessed', async () => {
    const data = await request();
    const captured = await statusOf(data.orderId, 'CAPTURED');
    expect(await cancel(data.orderId)).toEqual({ status: 'refund-pending' });
    const refunded = await statusOf(data.orderId, 'REFUNDED');
    expect(refunded.refunded_cents).toBe(3_000);
    const events = await outboxOf(t, captured.id);
    expect(events.map((e) => e.event_type)).toEqual(['PaymentProcessed', 'RefundProcessed']);
    expect(events[1]!.data).toMatchObject({ paymentId: captured.id, orderId: data.orderId, customerId: ada.id, amountCents: 3_000, currency: 'EUR', fullyRefunded: true });
    const ledger = await t.sql.query("SELECT idempotency_key, amount_cents FROM payments.sandbox_gateway_ledger WHERE operation = 'refund' AND charge_id = $1", [captured.charge_id]);
    expect(ledger.rows).toEqual([{ idempotency_key: `refund:${events[1]!.data.refundId}`, amount_cents: 3_000 }]);
    // Idempotent: asking again refunds nothing more.
    expect(await cancel(data.orderId)).toEqual({ status: 'refunded' });
    expect(await cancel(data.orderId)).toEqual({ status: 'refunded' });
    expect((await outboxOf(t, captured.id)).length).toBe(2);
  });

  it('while the charge is under way: the saga refunds right after the capture', async () => {
    const data = await request('4000000000006975');
    const charging = await statusOf(data.orderId, 'CHARGING');
    expect(await cancel(data.orderId)).toEqual({ status: 'refund-pending' });
    expect(await cancel(data.orderId)).toEqual({ status: 'refund-pending' });
    const refunded = await statusOf(data.orderId, 'REFUNDED');
    expect(refunded).toMatchObject({ refunded_cents: 3_000, cancel_reason: 'customer-cancelled' });
    expect(await chargesAtGateway(t, charging.id)).toMatchObject({ approved: 1 });
    expect((await outboxOf(t, charging.id)).map((e) => e.event_type)).toEqual(['PaymentProcessed', 'RefundProcessed']);
    const refunds = await t.sql.query('SELECT count(*) FROM payments.refunds WHERE payment_id = $1', [charging.id]);
    expect(Number(refunds.rows[0].count)).toBe(1);
  });

  it('after a failure: nothing was charged', async () => {
    const data = await request('4000000000000002');
    await statusOf(data.orderId, 'FAILED');
    expect(await cancel(data.orderId)).toEqual({ status: 'nothing-charged' });
  });

  it('many cancellations at once refund a capture once', async () => {
    const data = await request();
    const captured = await statusOf(data.orderId, 'CAPTURED');
    const answers = await Promise.all(Array.from({ length: 5 }, () => cancel(data.orderId)));
    // The first reserves the refund; the others see it under way (or, on a busy machine, already done).
    expect(answers.every((answer) => answer.status === 'refund-pending' || answer.status === 'refunded')).toBe(true);
    expect(answers.some((answer) => answer.status === 'refund-pending')).toBe(true);
    await statusOf(data.orderId, 'REFUNDED');
    const refunds = await t.sql.query('SELECT count(*) FROM payments.refunds WHERE payment_id = $1', [captured.id]);
    expect(Number(refunds.rows[0].count)).toBe(1);
  });

  it('invariant: every captured payment of a cancelled order is refunded in full, and charged once', async () => {
    const { rows } = await t.sql.query(`
      SELECT p.order_id, p.status, p.amount_cents, p.refunded_cents,
             (SELECT count(*) FROM payments.sandbox_gateway_ledger l WHERE l.idempotency_key = 'charge:' || p.id AND l.answer->>'status' = 'approved')::int AS charges,
             (SELECT coalesce(sum(l.amount_cents), 0) FROM payments.sandbox_gateway_ledger l WHERE l.operation = 'refund' AND l.charge_id = p.charge_id AND l.answer IS NOT NULL)::int AS refunded_at_gateway
        FROM payments.payments p WHERE p.order_id = ANY($1)`, [cancelledOrders]);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row.charges).toBeLessThanOrEqual(1);
      if (row.charges === 1) expect(row).toMatchObject({ status: 'REFUNDED', refunded_cents: row.amount_cents, refunded_at_gateway: row.amount_cents });
    }
  });
});
