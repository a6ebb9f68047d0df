import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../registry.js';
import { startPaymentPlatform, type PaymentTestPlatform } from '../testing/payment-test-kit.js';
import { isGatewayFailure, type PaymentGateway } from './payment-gateway.js';

/** The sandbox's ledger keeps the first answer per idempotency key, as a remote gateway would. */
let t: PaymentTestPlatform;
let gateway: PaymentGateway;

beforeAll(async () => {
  t = await startPaymentPlatform(allModules, { env: { SANDBOX_SLOW_MS: '2000' }, startEvents: false });
  gateway = t.services.paymentGateway;
});

afterAll(async () => {
  await t?.close();
});

const charge = (idempotencyKey: string, cardNumber = '4242424242424242', amountCents = 500, signal?: AbortSignal) =>
  gateway.charge({ idempotencyKey, amountCents, currency: 'EUR', cardNumber, ...(signal ? { signal } : {}) });

describe('the sandbox gateway', () => {
  it('answers a repeated key with the first answer, even when the calls race', async () => {
    const key = `charge:${uuidv7()}`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => charge(key)));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 'approved', chargeId: expect.stringMatching(/^ch_/) });
    const { rows } = await t.sql.query('SELECT attempts, answer FROM payments.sandbox_gateway_ledger WHERE idempotency_key = $1', [key]);
    expect(rows).toEqual([{ attempts: 5, answer: answers[0] }]);
  });

  it('keeps no card number in its ledger', async () => {
    const key = `charge:${uuidv7()}`;
    await charge(key, '4000000000000002');
    const { rows } = await t.sql.query('SELECT * FROM payments.sandbox_gateway_ledger WHERE idempotency_key = $1', [key]);
    expect(JSON.stringify(rows)).not.toContain('4000000000000002');
    expect(rows[0].answer).toMatchObject({ status: 'declined', reason: 'declined' });
  });

  it('refuses a key reused for another amount', async () => {
    const key = `charge:${uuidv7()}`;
    await charge(key);
    await expect(charge(key, '4242424242424242', 501)).rejects.toMatchObject({ code: 'rejected', retryable: false });
  });

  it('fails the transient card twice per key, then approves', async () => {
    const key = `charge:${uuidv7()}`;
    for (let i = 0; i < 2; i += 1) await expect(charge(key, '4000000000000119')).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    expect(await charge(key, '4000000000000119')).toMatchObject({ status: 'approved' });
  });

  it('gives up on the slow card when the caller aborts, recording no answer', async () => {
    const key = `charge:${uuidv7()}`;
    const started = Date.now();
    const failure = await charge(key, '4000000000006975', 500, AbortSignal.timeout(50)).catch((error: unknown) => error);
    expect(isGatewayFailure(failure) && failure.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_000);
    const { rows } = await t.sql.query('SELECT answer FROM payments.sandbox_gateway_ledger WHERE idempotency_key = $1', [key]);
    expect(rows).toEqual([{ answer: null }]);
  });

  it('refunds a charge once per key and never past the charge', async () => {
    const approved = await charge(`charge:${uuidv7()}`, '4242424242424242', 1_000);
    if (approved.status !== 'approved') throw new Error('expected an approval');
    const first = `refund:${uuidv7()}`;
    const refunded = await gateway.refund({ idempotencyKey: first, chargeId: approved.chargeId, amountCents: 600 });
    expect(await gateway.refund({ idempotencyKey: first, chargeId: approved.chargeId, amountCents: 600 })).toEqual(refunded);
    await expect(gateway.refund({ idempotencyKey: `refund:${uuidv7()}`, chargeId: approved.chargeId, amountCents: 401 })).rejects.toMatchObject({ code: 'rejected' });
    await expect(gateway.refund({ idempotencyKey: `refund:${uuidv7()}`, chargeId: 'ch_unknown', amountCents: 1 })).rejects.toMatchObject({ code: 'rejected' });
    expect(await gateway.refund({ idempotencyKey: `refund:${uuidv7()}`, chargeId: approved.chargeId, amountCents: 400 })).toMatchObject({ refundId: expect.stringMatching(/^re_/) });
  });
});
