import { z } from 'zod';
import { stepFailed, type SagaStep } from '../../../src/saga/saga-definition.js';
import { PaymentFailureReason, PaymentRequested, PaymentServiceApi } from '../../payment/index.js';
import type { OrderCradle } from '../order-services.js';
import type { PlaceOrderState } from './place-order-state.js';

export const PAYMENT_OUTCOME = 'payment-outcome';

/** What the payment handlers hand to a waiting saga. */
export const PaymentOutcome = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('processed'), paymentId: z.uuid() }),
  z.object({ outcome: z.literal('failed'), reason: PaymentFailureReason, message: z.string() }),
]);
export type PaymentOutcome = z.infer<typeof PaymentOutcome>;

/**
 * Asks for the payment through the outbox (with the status change, in one commit) and waits,
 * at no cost, for PaymentProcessed or PaymentFailed; past the deadline the order is compensated,
 * and the undo makes sure nothing stays charged, even by a charge that lands late.
 */
export const requestPayment: SagaStep<PlaceOrderState, OrderCradle> = {
  name: 'request-payment',
  // Commits with reserve-inventory's record: the order is marked reserved and asks for payment in one transaction.
  withPrevious: true,
  async record(ctx, trx) {
    const { orderId, customerId, paymentMethodId, totalCents, currency } = ctx.state;
    // Raised only with the status change it belongs to, so a repeated step asks once; written in the same statement.
    await ctx.services.orderStream.execute(trx, orderId, { type: 'RequestPayment' }, {
      alsoPublish: () => [ctx.services.outbox.prepare(PaymentRequested, {
        aggregateId: orderId, aggregateVersion: 1, data: { orderId, customerId, paymentMethodId, amountCents: totalCents, currency }, metadata: { actorId: customerId },
      })],
    });
  },
  awaits: {
    signal: PAYMENT_OUTCOME,
    timeoutMs: (ctx) => ctx.services.config.ORDER_PAYMENT_DEADLINE_MS,
    async onSignal(ctx, payload, trx) {
      const outcome = PaymentOutcome.parse(payload);
      if (outcome.outcome === 'failed') throw stepFailed(`payment-${outcome.reason}`, outcome.message);
      await ctx.services.orderStream.execute(trx, ctx.state.orderId, { type: 'RecordPayment', paymentId: outcome.paymentId });
      return { paymentId: outcome.paymentId };
    },
  },
  compensate: {
    async invoke(ctx) {
      await ctx.services.facades.get(PaymentServiceApi).cancelPayment({ orderId: ctx.state.orderId, reason: ctx.failure?.code ?? 'cancelled' });
    },
  },
};
