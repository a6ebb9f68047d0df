import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { allModules } from '../registry.js';
import {
  addCard, chargesAtGateway, handOver, newCustomer, outboxOf, paymentOf, paymentRequested, startPaymentPlatform,
  type Customer, type PaymentTestPlatform,
} from './testing/payment-test-kit.js';

/**
 * PaymentRequested → charge saga → gateway → CAPTURED or FAILED, with the event. The
 * policy makes 2 calls per saga attempt and the saga 3 attempts, so the transient card
 * needs the saga's retry too, and the slow card (300 ms against a 100 ms timeout) never
 * answers in time.
 */
let t: PaymentTestPlatform;
let ada: Customer;

beforeAll(async () => {
  t = await startPaymentPlatform(allModules, {
    env: { PAYMENT_GATEWAY_ATTEMPTS: '2', PAYMENT_GATEWAY_TIMEOUT_MS: '100', SANDBOX_SLOW_MS: '300', SAGA_STEP_ATTEMPTS: '3', SAGA_BACKOFF_MS: '20' },
  });
  ada = await newCustomer(t);
});

afterAll(async () => {
  await t?.close();
});

async function requestPayment(cardNumber: string, amountCents = 2_500) {
  const paymentMethodId = await addCard(t, ada, cardNumber);
  const request = { orderId: uuidv7(), customerId: ada.id, paymentMethodId, amountCents, currency: 'EUR' };
  await t.platform.events.bus.publish([paymentRequested(request)]);
  return request;
}

const settled = (orderId: string) => eventually(async () => {
  const payment = await paymentOf(t, orderId);
  expect(payment?.status).toMatch(/^(CAPTURED|FAILED)$/);
  return payment!;
}, 15_000);

describe('charging a requested payment', () => {
  it('captures an approved card and publishes PaymentProcessed with brand and last four only', async () => {
    const request = await requestPayment('4242424242424242');
    const payment = await settled(request.orderId);
    expect(payment).toMatchObject({ status: 'CAPTURED', amount_cents: 2_500, currency: 'EUR', brand: 'visa', last4: '4242', charge_id: expect.stringMatching(/^ch_/) });
    const events = await outboxOf(t, payment.id);
    expect(events.map((e) => e.event_type)).toEqual(['PaymentProcessed']);
    expect(events[0]!.data).toEqual({ paymentId: payment.id, orderId: request.orderId, customerId: ada.id, amountCents: 2_500, currency: 'EUR', brand: 'visa', last4: '4242' });
    expect(JSON.stringify(events)).not.toContain('4242424242424242');
    expect(await chargesAtGateway(t, payment.id)).toEqual({ attempts: 1, approved: 1 });
  });

  it.each([
    ['4000000000000002', 'declined'],
    ['4000000000009995', 'insufficient-funds'],
  ])('fails %s as %s and publishes PaymentFailed', async (card, reason) => {
    const request = await requestPayment(card);
    const payment = await settled(request.orderId);
    expect(payment).toMatchObject({ status: 'FAILED', failure_reason: reason, charge_id: null });
    const events = await outboxOf(t, payment.id);
    expect(events).toEqual([{ event_type: 'PaymentFailed', data: expect.objectContaining({ paymentId: payment.id, orderId: request.orderId, reason }) }]);
    expect((await chargesAtGateway(t, payment.id)).approved).toBe(0);
  });

  it('retries a card that fails transiently (policy, then saga) and charges it exactly once', async () => {
    const request = await requestPayment('4000000000000119');
    const payment = await settled(request.orderId);
    expect(payment.status).toBe('CAPTURED');
    expect(await chargesAtGateway(t, payment.id)).toEqual({ attempts: 3, approved: 1 });
    expect((await outboxOf(t, payment.id)).map((e) => e.event_type)).toEqual(['PaymentProcessed']);
  });

  it('gives up on a gateway that never answers in time: gateway-unavailable, nothing charged', async () => {
    const request = await requestPayment('4000000000006975');
    const payment = await settled(request.orderId);
    expect(payment).toMatchObject({ status: 'FAILED', failure_reason: 'gateway-unavailable' });
    // 2 calls per saga attempt, 3 saga attempts, each cancelled by the timeout.
    expect(await chargesAtGateway(t, payment.id)).toEqual({ attempts: 6, approved: 0 });
    expect((await outboxOf(t, payment.id))[0]).toMatchObject({ event_type: 'PaymentFailed', data: { reason: 'gateway-unavailable' } });
  });

  it('fails another customer\'s payment method without calling the gateway or describing the card', async () => {
    const bob = await newCustomer(t);
    const bobsCard = await addCard(t, bob);
    const request = { orderId: uuidv7(), customerId: ada.id, paymentMethodId: bobsCard, amountCents: 100, currency: 'EUR' };
    await t.platform.events.bus.publish([paymentRequested(request)]);
    const payment = await settled(request.orderId);
    expect(payment).toMatchObject({ status: 'FAILED', failure_reason: 'payment-method-unusable', brand: null, last4: null });
    expect((await outboxOf(t, payment.id))[0]).toMatchObject({ event_type: 'PaymentFailed', data: { reason: 'payment-method-unusable' } });
    expect(await chargesAtGateway(t, payment.id)).toEqual({ attempts: 0, approved: 0 });
  });
});

describe('at most one charge per order', () => {
  it('a request delivered three times, and duplicated under new event ids, charges once', async () => {
    const paymentMethodId = await addCard(t, ada);
    const request = { orderId: uuidv7(), customerId: ada.id, paymentMethodId, amountCents: 4_200, currency: 'EUR' };
    const envelope = paymentRequested(request);
    // Straight to the handler (no inbox to hide the repeats), then twice more through the bus as new events.
    await Promise.all([handOver(t, envelope), handOver(t, envelope), handOver(t, envelope)]);
    const duplicates = [paymentRequested(request), paymentRequested({ ...request, amountCents: 9_999 })];
    await t.platform.events.bus.publish(duplicates);
    const payment = await settled(request.orderId);
    await eventually(async () => {
      const handled = await t.sql.query('SELECT count(*) FROM payments.inbox WHERE event_id = ANY($1)', [duplicates.map((d) => d.eventId)]);
      expect(Number(handled.rows[0].count)).toBe(2);
    });
    expect(payment.amount_cents).toBe(4_200);
    expect(Number((await t.sql.query('SELECT count(*) FROM payments.payments WHERE order_id = $1', [request.orderId])).rows[0].count)).toBe(1);
    expect(await chargesAtGateway(t, payment.id)).toEqual({ attempts: 1, approved: 1 });
    expect((await outboxOf(t, payment.id)).map((e) => e.event_type)).toEqual(['PaymentProcessed']);
    const sagas = await t.sql.query("SELECT count(*) FROM payments.sagas WHERE lock_key = $1", [`payment:${request.orderId}`]);
    expect(Number(sagas.rows[0].count)).toBe(1);
  });

  it('invariant: no payment of this file was charged more than once at the gateway', async () => {
    const { rows } = await t.sql.query(`
      SELECT p.id, p.status, count(l.*) FILTER (WHERE l.answer->>'status' = 'approved')::int AS approved
        FROM payments.payments p LEFT JOIN payments.sandbox_gateway_ledger l ON l.idempotency_key = 'charge:' || p.id
       GROUP BY p.id, p.status`);
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.approved).toBe(row.status === 'CAPTURED' ? 1 : 0);
  });
});
