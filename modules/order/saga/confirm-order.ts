import type { SagaStep } from '../../../src/saga/saga-definition.js';
import { ProductCatalogApi } from '../../product/index.js';
import type { OrderCradle } from '../order-services.js';
import type { PlaceOrderState } from './place-order-state.js';

/**
 * The point of no return: the units become sold and the order CONFIRMED, whose event is the
 * one a customer's confirmation comes from. From here the saga only goes forward.
 */
export const confirmOrder: SagaStep<PlaceOrderState, OrderCradle> = {
  name: 'confirm-order',
  pivot: true,
  async invoke(ctx) {
    await ctx.services.facades.get(ProductCatalogApi).commitInventory({ reservationId: ctx.state.reservationId! });
  },
  async record(ctx, trx) {
    await ctx.services.orderStream.execute(trx, ctx.state.orderId, { type: 'ConfirmOrder' });
  },
};
