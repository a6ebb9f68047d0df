import type { EventEnvelope } from '../../src/events/envelope.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { OrderCreated, OrderStatusChanged } from './contract.js';
import type { Order, OrderEvent } from './domain/order.js';

/**
 * What the rest of the system hears of one recorded event: the order's creation and each
 * move of its status (prepared, not written: the stream writes it with the event).
 */
export function publicationOf(outbox: OutboxWriter, before: Order, after: Order, event: OrderEvent, version: number): EventEnvelope | undefined {
  if (after.status === 'NONE') return undefined;
  if (event.type === 'OrderPlaced') {
    return outbox.prepare(OrderCreated, {
      aggregateId: after.orderId, aggregateVersion: version,
      data: { orderId: after.orderId, customerId: after.customerId, lines: after.lines, totalCents: after.totalCents, currency: after.currency },
      metadata: { actorId: after.customerId },
    });
  }
  if (before.status === 'NONE' || before.status === after.status) return undefined;
  return outbox.prepare(OrderStatusChanged, {
    aggregateId: after.orderId, aggregateVersion: version,
    data: {
      orderId: after.orderId, customerId: after.customerId, from: before.status, to: after.status, totalCents: after.totalCents, currency: after.currency,
      ...(after.cancellationReason && after.status === 'CANCELLED' ? { reason: after.cancellationReason } : {}),
    },
  });
}
