import type Router from '@koa/router';
import { z } from 'zod';
import type { ModuleKernel } from '../../src/app/module-definition.js';
import { cradleOf } from '../../src/app/request-scope.js';
import { principalOf } from '../../src/http/authenticate.js';
import { readBody, readQuery } from '../../src/http/validate.js';
import { IdempotencyKeyMissing, OrderNotFound } from './domain/order-problems.js';
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
const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.uuid().optional(),
});
const IdempotencyKey = z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const OrderId = z.uuid();

/** A malformed id cannot name an order of the caller's: it is simply not found. */
function orderIdOf(raw: string | undefined): string {
  const parsed = OrderId.safeParse(raw);
  if (!parsed.success) throw OrderNotFound(`No order ${raw}`);
  return parsed.data;
}

export function orderRoutes(router: Router, { guards }: Pick<ModuleKernel, 'guards'>): void {
  router.post('/api/v1/orders', guards.requireUser, async (ctx) => {
    const header = ctx.get('idempotency-key');
    if (!header) throw IdempotencyKeyMissing('Send an Idempotency-Key header (a UUID works well) so a retried request cannot order twice');
    const key = IdempotencyKey.parse(header);
    const input = readBody(ctx, PlaceOrderInput);
    const placed = await cradleOf<OrderServices>(ctx).orderPlacement.place(principalOf(ctx).userId, key, input);
    ctx.status = 202;
    ctx.set('Location', `/api/v1/orders/${placed.id}`);
    if (placed.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.body = { id: placed.id, status: placed.status };
  });

  router.get('/api/v1/orders', guards.requireUser, async (ctx) => {
    const { limit, cursor } = readQuery(ctx, ListQuery);
    ctx.body = await cradleOf<OrderServices>(ctx).orderQueries.list(principalOf(ctx).userId, limit, cursor);
  });

  router.get('/api/v1/orders/:id', guards.requireUser, async (ctx) => {
    ctx.body = await cradleOf<OrderServices>(ctx).orderQueries.get(principalOf(ctx).userId, orderIdOf(ctx.params.id));
  });

  router.get('/api/v1/orders/:id/history', guards.requireUser, async (ctx) => {
    ctx.body = await cradleOf<OrderServices>(ctx).orderQueries.history(principalOf(ctx).userId, orderIdOf(ctx.params.id));
  });

  router.post('/api/v1/orders/:id/cancel', guards.requireUser, async (ctx) => {
    const { order, accepted } = await cradleOf<OrderServices>(ctx).orderCancellation.cancel(principalOf(ctx).userId, orderIdOf(ctx.params.id));
    ctx.status = accepted === 'cancelled' ? 200 : 202;
    ctx.body = { ...order, cancellation: accepted };
  });
}
