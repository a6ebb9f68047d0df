import type { Knex } from 'knex';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import type { OrderEvent, PlacedOrder } from './domain/order.js';

/** What one decision writes: its events at the next versions, the order as they leave it, what is published. */
export interface Append {
  orderId: string;
  correlationId: string;
  /** the stream's version the decision was made on */
  expectedVersion: number;
  events: readonly OrderEvent[];
  order: PlacedOrder;
  published: readonly EventEnvelope[];
}

/** The Idempotency-Key a new order is placed under: claimed in the statement that starts its stream. */
export interface IdempotencyClaim {
  customerId: string;
  key: string;
  /** the request's digest (requestHash), so a replay with another body is told apart */
  hash: string;
}

/**
 * The statement's text. With `claimsKey`, it first claims the order's Idempotency-Key, and the
 * events go in only when the claim did: a key taken already (a retried request, or one still
 * committing, whose claim this waits for) leaves nothing written.
 */
function appendSql(schema: string, outbox: OutboxWriter, claimsKey: boolean): string {
  const claim = claimsKey ? `claimed AS (
        INSERT INTO "${schema}".idempotency_keys (customer_id, key, request_hash, order_id) VALUES (?::uuid, ?, ?, ?::uuid)
        ON CONFLICT (customer_id, key) DO NOTHING
        RETURNING order_id
      ), ` : '';
  return `WITH ${claim}appended AS (
        INSERT INTO "${schema}".order_events (order_id, version, event_type, data, correlation_id)
        SELECT ?::uuid, (event->>'version')::int, event->>'type', event->'data', ?
        FROM jsonb_array_elements(?::jsonb) AS recorded(event)
        WHERE (SELECT coalesce(max(version), 0) FROM "${schema}".order_events WHERE order_id = ?::uuid) = ?::int${claimsKey ? `
          AND EXISTS (SELECT 1 FROM claimed)` : ''}
        ON CONFLICT (order_id, version) DO NOTHING
        RETURNING version
      ), stream AS (
        SELECT count(*) = ?::int AS whole FROM appended
      ), projected AS (
        INSERT INTO "${schema}".orders (id, customer_id, status, lines, total_cents, currency, payment_method_id, payment_id, cancellation_reason, version)
        SELECT o.id, o.customer_id, o.status, o.lines, o.total_cents, o.currency, o.payment_method_id, o.payment_id, o.cancellation_reason, o.version
        FROM jsonb_populate_record(NULL::"${schema}".orders, ?::jsonb) AS o, stream WHERE stream.whole
        ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, payment_id = EXCLUDED.payment_id, cancellation_reason = EXCLUDED.cancellation_reason,
          version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
      ), published AS (
        ${outbox.insertSql({ from: 'stream', where: 'stream.whole' })}
      )
      SELECT whole${claimsKey ? ', EXISTS (SELECT 1 FROM claimed) AS claimed' : ''} FROM stream`;
}

/**
 * Appends to an order's stream, updates its read model and writes its public events in ONE
 * statement (data-modifying CTEs): one round trip instead of one per table. The events go
 * in only when the stream is exactly at the expected version (so a decision made on an
 * out-of-date copy of the order writes nothing), and with ON CONFLICT DO NOTHING on
 * (order, version), which settles two writers racing from the same version. The read model
 * and the outbox are written only when every event went in. A single event that did not go
 * in leaves nothing written; of several, the ones that fitted stay, and the caller's
 * transaction must roll back. A new order's first append also claims its Idempotency-Key.
 * Built once per module: the texts depend only on the schema.
 */
export class StreamAppend {
  private readonly statement: PreparedStatement<{ whole: boolean }>;
  private readonly claimingStatement: PreparedStatement<{ whole: boolean; claimed: boolean }>;

  constructor(schema: string, private readonly outbox: OutboxWriter) {
    this.statement = new PreparedStatement('order-stream-append', appendSql(schema, outbox, false));
    this.claimingStatement = new PreparedStatement('order-stream-start', appendSql(schema, outbox, true));
  }

  /** True when every event was appended (and so the read model and outbox written); false when another writer got there first. */
  async run(trx: Knex.Transaction, append: Append): Promise<boolean> {
    const { rows } = await this.statement.run(trx, this.parameters(append));
    return rows[0]?.whole === true;
  }

  /**
   * A new order's first events, written only when its Idempotency-Key is claimed by them:
   * `claimed` false (nothing written) when the key was taken already.
   */
  async runClaiming(trx: Knex.Transaction, append: Append, claim: IdempotencyClaim): Promise<{ whole: boolean; claimed: boolean }> {
    const { rows } = await this.claimingStatement.run(trx, [claim.customerId, claim.key, claim.hash, append.orderId, ...this.parameters(append)]);
    return { whole: rows[0]?.whole === true, claimed: rows[0]?.claimed === true };
  }

  private parameters(append: Append): Knex.RawBinding[] {
    const { order } = append;
    const events = append.events.map((event, index) => ({ version: append.expectedVersion + index + 1, type: event.type, data: event.data }));
    const row = {
      id: order.orderId, customer_id: order.customerId, status: order.status, lines: order.lines, total_cents: order.totalCents, currency: order.currency,
      payment_method_id: order.paymentMethodId, payment_id: order.paymentId, cancellation_reason: order.cancellationReason,
      version: append.expectedVersion + append.events.length,
    };
    return [
      append.orderId, append.correlationId, JSON.stringify(events), append.orderId, append.expectedVersion, events.length, JSON.stringify(row),
      this.outbox.rowsParameter(append.published),
    ];
  }
}
