import type { Knex } from 'knex';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { currentContext } from '../../src/observability/request-context.js';
import { OrderCreated, OrderStatusChanged } from './contract.js';
import { decide, type OrderCommand } from './domain/order-decider.js';
import { evolve, fold, type Order, type OrderEvent, type PlacedOrder } from './domain/order.js';
import { OrderNotFound } from './domain/order-problems.js';

/** Another writer appended to the stream first; the caller retries from a fresh read. */
export class StreamConflict extends Error {
  override readonly name = 'StreamConflict';
}

interface EventRow {
  version: number;
  event_type: OrderEvent['type'];
  data: OrderEvent['data'];
}

/**
 * The order's event stream with optimistic concurrency: a command is decided on the stream
 * as read, and its events are appended at the next versions, which the primary key lets
 * only one writer take. The read model and the public events commit in the same transaction.
 */
export class OrderStream {
  private readonly outbox: OutboxWriter;

  constructor(deps: { outbox: OutboxWriter }) {
    this.outbox = deps.outbox;
  }

  async load(db: Knex | Knex.Transaction, orderId: string): Promise<{ order: Order; version: number }> {
    const rows = (await db('order_events').select('version', 'event_type', 'data').where({ order_id: orderId }).orderBy('version')) as EventRow[];
    const events = rows.map((row) => ({ type: row.event_type, data: row.data }) as OrderEvent);
    return { order: fold(events), version: rows.length };
  }

  /** Decides `command` on the current stream and appends what it records; nothing when it had its effect already. */
  async execute(trx: Knex.Transaction, orderId: string, command: OrderCommand): Promise<{ order: PlacedOrder; recorded: OrderEvent[] }> {
    const { order, version } = await this.load(trx, orderId);
    const recorded = decide(command, order);
    const after = await this.append(trx, orderId, order, version, recorded);
    if (after.status === 'NONE') throw OrderNotFound();
    return { order: after, recorded };
  }

  private async append(trx: Knex.Transaction, orderId: string, before: Order, expectedVersion: number, events: readonly OrderEvent[]): Promise<Order> {
    if (events.length === 0) return before;
    const correlationId = currentContext()?.correlationId ?? orderId;
    // ON CONFLICT instead of a caught error: a lost race leaves the caller's transaction usable, no savepoint needed.
    const appended = await trx('order_events')
      .insert(events.map((event, index) => ({
        order_id: orderId, version: expectedVersion + index + 1, event_type: event.type, data: JSON.stringify(event.data), correlation_id: correlationId,
      })))
      .onConflict(['order_id', 'version'])
      .ignore()
      .returning('version');
    if (appended.length !== events.length) throw new StreamConflict(`order ${orderId} moved past version ${expectedVersion}`);
    let state = before;
    let version = expectedVersion;
    for (const event of events) {
      const previous = state;
      state = evolve(state, event);
      version += 1;
      await this.publish(trx, previous, state, event, version);
    }
    await this.project(trx, state as PlacedOrder, version);
    return state;
  }

  private async project(trx: Knex.Transaction, order: PlacedOrder, version: number): Promise<void> {
    await trx('orders')
      .insert({
        id: order.orderId, customer_id: order.customerId, status: order.status, lines: JSON.stringify(order.lines), total_cents: order.totalCents,
        currency: order.currency, payment_method_id: order.paymentMethodId, payment_id: order.paymentId, cancellation_reason: order.cancellationReason, version,
      })
      .onConflict('id')
      .merge(['status', 'payment_id', 'cancellation_reason', 'version', 'updated_at']);
  }

  /** What the rest of the system hears: the order's creation and each move of its status. */
  private async publish(trx: Knex.Transaction, before: Order, after: Order, event: OrderEvent, version: number): Promise<void> {
    if (after.status === 'NONE') return;
    if (event.type === 'OrderPlaced') {
      await this.outbox.append(trx, OrderCreated, {
        aggregateId: after.orderId, aggregateVersion: version,
        data: { orderId: after.orderId, customerId: after.customerId, lines: after.lines, totalCents: after.totalCents, currency: after.currency },
        metadata: { actorId: after.customerId },
      });
      return;
    }
    if (before.status === 'NONE' || before.status === after.status) return;
    await this.outbox.append(trx, OrderStatusChanged, {
      aggregateId: after.orderId, aggregateVersion: version,
      data: {
        orderId: after.orderId, customerId: after.customerId, from: before.status, to: after.status, totalCents: after.totalCents, currency: after.currency,
        ...(after.cancellationReason && after.status === 'CANCELLED' ? { reason: after.cancellationReason } : {}),
      },
    });
  }
}
