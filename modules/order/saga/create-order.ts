import type { SagaFailure, SagaStep } from '../../../src/saga/saga-definition.js';
import type { OrderCradle } from '../order-services.js';
import type { PlaceOrderState } from './place-order-state.js';

/** The stable reason a customer reads on a cancelled order. */
export function cancellationReason(failure: SagaFailure | undefined): string {
  if (!failure) return 'cancelled';
  return failure.code === 'timeout' ? 'payment-timeout' : failure.code;
}

/**
 * The order itself is created with the saga, in the same transaction as the POST that placed
 * it; this step only holds the undo that closes every failed saga: cancel, with the reason.
 */
export const createOrder: SagaStep<PlaceOrderState, OrderCradle> = {
  name: 'create-order',
  compensate: {
    async record(ctx, trx) {
      await ctx.services.orderStream.execute(trx, ctx.state.orderId, {
        type: 'CancelOrder', reason: cancellationReason(ctx.failure), detail: ctx.failure?.message ?? '',
      });
    },
  },
};
