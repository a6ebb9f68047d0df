import { defineSaga } from '../../../src/saga/saga-definition.js';
import type { OrderCradle } from '../order-services.js';
import { confirmOrder } from './confirm-order.js';
import { createOrder } from './create-order.js';
import type { PlaceOrderState } from './place-order-state.js';
import { requestPayment } from './request-payment.js';
import { reserveInventory } from './reserve-inventory.js';

/** create order → reserve inventory → request payment and await it → confirm; undone in reverse on failure. */
export const placeOrderSaga = defineSaga<PlaceOrderState, OrderCradle>({
  name: 'place-order',
  steps: [createOrder, reserveInventory, requestPayment, confirmOrder],
});
