import { z } from 'zod';
import { defineEvent } from '../../src/events/envelope.js';

/** Public face of the order module. */

export const OrderStatus = z.enum(['PENDING', 'RESERVED', 'AWAITING_PAYMENT', 'CONFIRMED', 'CANCELLED']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderLine = z.object({
  productId: z.uuid(),
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int().positive(),
  unitPriceCents: z.number().int().nonnegative(),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const OrderCreated = defineEvent('OrderCreated', 1, z.object({
  orderId: z.uuid(),
  customerId: z.uuid(),
  lines: z.array(OrderLine).min(1),
  totalCents: z.number().int().nonnegative(),
  currency: z.string(),
}));

/**
 * Every status move of an order. CONFIRMED is raised only once the order saga has passed
 * its point of no return, so a customer is never told of a confirmation that is undone.
 */
export const OrderStatusChanged = defineEvent('OrderStatusChanged', 1, z.object({
  orderId: z.uuid(),
  customerId: z.uuid(),
  from: OrderStatus,
  to: OrderStatus,
  totalCents: z.number().int().nonnegative(),
  currency: z.string(),
  /** why an order was cancelled (a stable code such as `out-of-stock`, `payment-declined`) */
  reason: z.string().optional(),
}));
