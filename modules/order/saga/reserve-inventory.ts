import { stepFailed, type SagaStep } from '../../../src/saga/saga-definition.js';
import { ProductCatalogApi } from '../../product/index.js';
import type { OrderCradle } from '../order-services.js';
import type { PlaceOrderState } from './place-order-state.js';

/** Holds every unit of the order in the product module, or none; the step's key is the reservation id. */
export const reserveInventory: SagaStep<PlaceOrderState, OrderCradle> = {
  name: 'reserve-inventory',
  async invoke(ctx) {
    const outcome = await ctx.services.facades.get(ProductCatalogApi).reserveInventory({ reservationId: ctx.idempotencyKey, items: ctx.state.items });
    if (!outcome.ok) {
      throw outcome.reason === 'out-of-stock'
        ? stepFailed('out-of-stock', `not enough stock for ${outcome.productIds.join(', ')}`)
        : stepFailed('cancelled', 'the reservation was released before it was made');
    }
    return { reservationId: ctx.idempotencyKey };
  },
  async record(ctx, trx) {
    await ctx.services.orderStream.execute(trx, ctx.state.orderId, { type: 'MarkReserved', reservationId: ctx.idempotencyKey });
  },
  compensate: {
    // Also when the reserve itself failed or never arrived: a release first leaves a tombstone that a late reserve respects.
    async invoke(ctx) {
      await ctx.services.facades.get(ProductCatalogApi).releaseInventory({ reservationId: ctx.idempotencyKey });
    },
  },
};
