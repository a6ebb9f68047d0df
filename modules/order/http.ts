import { z } from 'zod';
import { cradleOf } from '../../src/app/request-scope.js';
import type { ApiRoutes } from '../../src/http/api/api-routes.js';
import { OrderLine, OrderStatus } from './contract.js';
import {
  IdempotencyKeyMissing, IdempotencyKeyReused, MixedCurrencies, NothingToPay, OrderNotCancellable, OrderNotFound, PaymentMethodUnusable, UnknownProducts,
} from './domain/order-problems.js';
import type { OrderServices } from './order-services.js';

export const MAX_LINES = 50;
export const MAX_QUANTITY = 100;

const PlaceOrderInput = z.strictObject({
  items: z.array(z.strictObject({
    productId: z.uuid(),
    quantity: z.number().int().min(1).max(MAX_QUANTITY),
  })).min(1).max(MAX_LINES),
  paymentMethodId: z.uuid(),
});
const PlaceOrderHeaders = z.object({
  'Idempotency-Key': z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .describe('a repeated request with the same key answers with the same order instead of ordering twice'),
});
const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.uuid().optional().describe('`nextCursor` of the previous page'),
});
// Any text: a malformed id cannot name an order of the caller's, so it is simply not found.
const OrderParams = z.strictObject({ id: z.string().describe('the order id (a UUID)') });
const OrderId = z.uuid();

const Timestamp = z.iso.datetime({ offset: true });
const Order = z.object({
  id: z.uuid(), status: OrderStatus, lines: z.array(OrderLine), totalCents: z.number().int(), currency: z.string(),
  paymentMethodId: z.uuid(), paymentId: z.uuid().nullable(),
  cancellationReason: z.string().nullable().describe('a stable code such as `out-of-stock`, `payment-declined`, `cancelled-by-customer`'),
  createdAt: Timestamp, updatedAt: Timestamp,
}).meta({ id: 'Order', description: 'An order: PENDING → RESERVED → AWAITING_PAYMENT → CONFIRMED, or CANCELLED' });
const PlacedOrder = z.object({ id: z.uuid(), status: OrderStatus });
const OrderPage = z.object({ items: z.array(Order), nextCursor: z.uuid().nullable().describe('pass as `cursor` for the next page') });
const OrderHistory = z.object({
  orderId: z.uuid(),
  events: z.array(z.object({ version: z.number().int(), type: z.string(), data: z.unknown(), occurredAt: Timestamp })),
}).meta({ id: 'OrderHistory', description: 'The order’s events, oldest first' });
const CancelledOrder = z.object({ ...Order.shape, cancellation: z.enum(['cancelled', 'cancelling']) });
const TAG = 'orders';

/** A malformed id cannot name an order of the caller's: it is simply not found. */
function orderIdOf(raw: string): string {
  const parsed = OrderId.safeParse(raw);
  if (!parsed.success) throw OrderNotFound(`No order ${raw}`);
  return parsed.data;
}

/** HTTP → use cases; a customer only ever sees their own orders (another's is not found). */
export function orderRoutes(api: ApiRoutes): void {
  api.describeTag(TAG, 'Placing, following and cancelling your orders');

  api.route({
    operationId: 'placeOrder', method: 'post', path: '/api/v1/orders', summary: 'Place an order', tags: [TAG], access: 'user',
    description: 'Accepted at once as PENDING; the order saga then reserves stock and charges the card. Follow it at `Location`.',
    request: { headers: PlaceOrderHeaders, body: PlaceOrderInput },
    missingHeaders: { 'Idempotency-Key': () => IdempotencyKeyMissing('Send an Idempotency-Key header (a UUID works well) so a retried request cannot order twice') },
    responses: {
      202: {
        description: 'The order, accepted', body: PlacedOrder,
        headers: z.object({ Location: z.string(), 'Idempotent-Replayed': z.literal('true').optional().describe('set when the key was seen before') }),
      },
    },
    problems: [IdempotencyKeyMissing, IdempotencyKeyReused, UnknownProducts, MixedCurrencies, NothingToPay, PaymentMethodUnusable],
  }).handle(async ({ headers, body, principal }, ctx) => {
    const placed = await cradleOf<OrderServices>(ctx).orderPlacement.place(principal.userId, headers['Idempotency-Key'], body);
    const replayed = placed.replayed ? 'true' as const : undefined;
    return { status: 202, body: { id: placed.id, status: placed.status }, headers: { Location: `/api/v1/orders/${placed.id}`, 'Idempotent-Replayed': replayed } };
  });

  api.route({
    operationId: 'listOrders', method: 'get', path: '/api/v1/orders', summary: 'List your orders, newest first', tags: [TAG], access: 'user',
    request: { query: ListQuery },
    responses: { 200: { description: 'A page of orders', body: OrderPage } },
  }).handle(async ({ query, principal }, ctx) => ({ status: 200, body: await cradleOf<OrderServices>(ctx).orderQueries.list(principal.userId, query.limit, query.cursor) }));

  api.route({
    operationId: 'readOrder', method: 'get', path: '/api/v1/orders/:id', summary: 'Read one of your orders', tags: [TAG], access: 'user',
    request: { params: OrderParams },
    responses: { 200: { description: 'The order', body: Order } },
    problems: [OrderNotFound],
  }).handle(async ({ params, principal }, ctx) => ({ status: 200, body: await cradleOf<OrderServices>(ctx).orderQueries.get(principal.userId, orderIdOf(params.id)) }));

  api.route({
    operationId: 'readOrderHistory', method: 'get', path: '/api/v1/orders/:id/history', summary: 'Read what happened to one of your orders', tags: [TAG], access: 'user',
    request: { params: OrderParams },
    responses: { 200: { description: 'The order’s events', body: OrderHistory } },
    problems: [OrderNotFound],
  }).handle(async ({ params, principal }, ctx) => ({ status: 200, body: await cradleOf<OrderServices>(ctx).orderQueries.history(principal.userId, orderIdOf(params.id)) }));

  api.route({
    operationId: 'cancelOrder', method: 'post', path: '/api/v1/orders/:id/cancel', summary: 'Cancel one of your orders', tags: [TAG], access: 'user',
    description: 'A confirmed order is refunded and cancelled (200); one still being settled is asked to stop, and stops at its next step (202).',
    request: { params: OrderParams },
    responses: {
      200: { description: 'Cancelled (and refunded, when it was paid)', body: CancelledOrder },
      202: { description: 'Cancelling: the order saga undoes what it did', body: CancelledOrder },
    },
    problems: [OrderNotFound, OrderNotCancellable],
  }).handle(async ({ params, principal }, ctx) => {
    const { order, accepted } = await cradleOf<OrderServices>(ctx).orderCancellation.cancel(principal.userId, orderIdOf(params.id));
    return { status: accepted === 'cancelled' ? 200 : 202, body: { ...order, cancellation: accepted } };
  });
}
