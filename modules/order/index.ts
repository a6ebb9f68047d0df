import { fileURLToPath } from 'node:url';
import { asClass } from 'awilix';
import { defineModule } from '../../src/app/module-definition.js';
import { PaymentRequested } from '../payment/index.js';
import { OrderCreated, OrderStatusChanged } from './contract.js';
import { orderSubscriptions } from './handlers.js';
import { orderRoutes } from './http.js';
import { IdempotencyKeys } from './idempotency-keys.js';
import { OrderCancellation } from './order-cancellation.js';
import { OrderPlacement } from './order-placement.js';
import { OrderQueries } from './order-queries.js';
import type { OrderRegistrations } from './order-services.js';
import { OrderStream } from './order-stream.js';
import { placeOrderSaga } from './saga/place-order-saga.js';

export * from './contract.js';

/** Orders, event-sourced, and the saga that takes each from PENDING to CONFIRMED or CANCELLED. Owns schema `orders`. */
export const orderModule = defineModule({
  name: 'order',
  schema: 'orders',
  migrations: fileURLToPath(new URL('../../migrations/orders/', import.meta.url)),
  routePrefixes: ['/api/v1/orders'],
  // PaymentRequested is the payment module's contract; the order module raises it through its own outbox.
  publishes: [OrderCreated, OrderStatusChanged, PaymentRequested],
  subscriptions: orderSubscriptions,
  sagas: [placeOrderSaga],
  register(container) {
    const registrations: OrderRegistrations = {
      orderStream: asClass(OrderStream).singleton(),
      idempotencyKeys: asClass(IdempotencyKeys).singleton(),
      orderPlacement: asClass(OrderPlacement).singleton(),
      orderQueries: asClass(OrderQueries).singleton(),
      orderCancellation: asClass(OrderCancellation).singleton(),
    };
    container.register(registrations);
  },
  routes: orderRoutes,
});
