import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { allModules } from '../registry.js';
import type { PaymentService } from './contract.js';
import { addCard, chargesAtGateway, handOver, newCustomer, outboxOf, paymentOf, paymentRequested, startPaymentPlatform, type PaymentTestPlatform } from './testing/payment-test-kit.js';

/**
 * The window between recording a payment and its charge saga's first step: sagas are held
 * back (no workers yet), so the cancellation lands there every time.
 */
let t: PaymentTestPlatform;

beforeAll(async () => {
  t = await startPaymentPlatform(allModules, { startEvents: false });
});

afterAll(async () => {
  await t?.close();
});

describe('a cancellation before the charge begins', () => {
  it('answers nothing-charged, and the charge saga then stops without calling the gateway', async () => {
    const customer = await newCustomer(t);
    const paymentMethodId = await addCard(t, customer);
    const orderId = uuidv7();
    await handOver(t, paymentRequested({ orderId, customerId: customer.id, paymentMethodId, amountCents: 900, currency: 'EUR' }));
    const recorded = (await paymentOf(t, orderId))!;
    expect(recorded.status).toBe('PENDING');

    const hosted = t.platform.modules.find((module) => module.definition.name === 'payment')!;
    const payments = hosted.definition.facade!(hosted.container) as PaymentService;
    expect(await payments.cancelPayment({ orderId, reason: 'out-of-stock' })).toEqual({ status: 'nothing-charged' });

    await t.platform.start();
    await eventually(async () => {
      const { rows } = await t.sql.query('SELECT status, failure FROM payments.sagas WHERE lock_key = $1', [`payment:${orderId}`]);
      expect(rows[0]).toMatchObject({ status: 'COMPENSATED', failure: { code: 'payment-cancelled' } });
    });
    expect(await paymentOf(t, orderId)).toMatchObject({ status: 'CANCELLED', cancel_reason: 'out-of-stock' });
    expect(await chargesAtGateway(t, recorded.id)).toEqual({ attempts: 0, approved: 0 });
    expect(await outboxOf(t, recorded.id)).toEqual([]);
    expect(await payments.cancelPayment({ orderId, reason: 'out-of-stock' })).toEqual({ status: 'nothing-charged' });
  });
});
