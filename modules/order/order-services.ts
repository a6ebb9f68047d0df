import type { Resolver } from 'awilix';
import type { ModuleKernel } from '../../src/app/module-definition.js';
import type { IdempotencyKeys } from './idempotency-keys.js';
import type { OrderCancellation } from './order-cancellation.js';
import type { OrderPlacement } from './order-placement.js';
import type { OrderQueries } from './order-queries.js';
import type { OrderStream } from './order-stream.js';

/** The order module's private services, under the names they are registered by (declared once, here). */
export interface OrderServices {
  orderStream: OrderStream;
  idempotencyKeys: IdempotencyKeys;
  orderPlacement: OrderPlacement;
  orderQueries: OrderQueries;
  orderCancellation: OrderCancellation;
}

/** What saga steps and handlers of the module are given. */
export type OrderCradle = ModuleKernel & OrderServices;

/** Exactly one resolver per service: a renamed, missing or extra registration fails to compile. */
export type OrderRegistrations = { [Name in keyof OrderServices]: Resolver<OrderServices[Name]> };
