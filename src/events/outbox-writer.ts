import type { Knex } from 'knex';
import { PreparedStatement } from '../db/prepared-statement.js';
import { newId } from '../db/new-id.js';
import { currentContext } from '../observability/request-context.js';
import { currentTraceparent } from '../observability/tracing.js';
import type { EventDefinition, EventData, EventEnvelope, EventMetadata } from './envelope.js';

/** Who consumes an event, across every module of the system (EventRouting). */
export interface EventAudience {
  consumersOf(eventType: string, data?: unknown): readonly string[];
}

export interface RaisedEvent<E extends EventDefinition> {
  aggregateId: string;
  aggregateVersion: number;
  data: EventData<E>;
  metadata?: Partial<EventMetadata>;
}

/**
 * Records events in the module's own outbox table inside the caller's transaction,
 * so the event exists if and only if the state change committed.
 *
 * Rows go in as one JSON parameter, so any number of events is one statement with one text
 * (one round trip, one plan), and `insertSql` lets a module write its events inside a
 * statement of its own (a data-modifying CTE) instead of one more round trip after it.
 *
 * An event that no module of the system consumes (given `audience`) is stored already
 * published: it stays in the outbox for the retention, as the module's record of what
 * happened, but no relay claims and marks it, and it wakes none.
 * @example await outbox.append(trx, UserRegistered, { aggregateId: id, aggregateVersion: 1, data })
 * @example await outbox.insertAll(trx, [outbox.prepare(InventoryChanged, a), outbox.prepare(InventoryChanged, b)])
 */
export class OutboxWriter {
  private readonly table: string;
  private insertStatement: PreparedStatement | undefined;

  constructor(
    private readonly schema: string,
    private readonly now: () => Date = () => new Date(),
    private readonly audience?: EventAudience,
  ) {
    this.table = `"${schema}".outbox`;
  }

  async append<E extends EventDefinition>(trx: Knex.Transaction, event: E, raised: RaisedEvent<E>): Promise<EventEnvelope<EventData<E>>> {
    const envelope = this.prepare(event, raised);
    await this.insertAll(trx, [envelope]);
    return envelope;
  }

  /** Validates and stamps an event without writing it: hand it to `insertAll` or `insertSql`. */
  prepare<E extends EventDefinition>(event: E, raised: RaisedEvent<E>): EventEnvelope<EventData<E>> {
    // Publishing data that breaks our own contract is a bug: fail the transaction, not the consumers.
    const data = event.schema.parse(raised.data) as EventData<E>;
    const context = currentContext();
    // The trace travels with the event, so its consumer's span continues the producer's trace.
    const traceparent = currentTraceparent();
    const metadata: EventMetadata = {
      correlationId: raised.metadata?.correlationId ?? context?.correlationId ?? newId(),
      ...(context?.actorId ? { actorId: context.actorId } : {}),
      ...(traceparent ? { traceparent } : {}),
      ...raised.metadata,
    };
    return {
      eventId: newId(),
      eventType: event.type,
      eventVersion: event.version,
      aggregateId: raised.aggregateId,
      aggregateVersion: raised.aggregateVersion,
      occurredAt: this.now().toISOString(),
      data,
      metadata,
    };
  }

  /** Writes prepared events in one statement, in the order given (their outbox positions follow it). */
  async insertAll(trx: Knex.Transaction, envelopes: readonly EventEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    this.insertStatement ??= new PreparedStatement('outbox-insert', this.insertSql());
    await this.insertStatement.run(trx, [this.rowsParameter(envelopes)]);
  }

  /**
   * An INSERT of the events given as one JSON parameter (`?`, see `rowsParameter`). With
   * `guard`, a FROM item and a condition on it, the rows are written only when the condition
   * holds: inside a larger statement, this ties the events to that statement's own outcome.
   */
  insertSql(guard?: { from: string; where: string }): string {
    return `INSERT INTO ${this.table} (event_id, event_type, event_version, aggregate_id, aggregate_version, occurred_at, data, metadata, correlation_id, published_at)
      SELECT (doc->>'eventId')::uuid, doc->>'eventType', (doc->>'eventVersion')::int, doc->>'aggregateId', (doc->>'aggregateVersion')::int,
        (doc->>'occurredAt')::timestamptz, doc->'data', doc->'metadata', doc->'metadata'->>'correlationId',
        CASE WHEN (doc->'unconsumed')::boolean THEN now() END
      FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS raised(doc, ord)${guard ? `, ${guard.from} WHERE ${guard.where}` : ''}
      ORDER BY ord`;
  }

  /** The rows for `insertSql`: the envelopes, each flagged `unconsumed` when no module consumes it. */
  rowsParameter(envelopes: readonly EventEnvelope[]): string {
    const audience = this.audience;
    if (!audience) return JSON.stringify(envelopes);
    return JSON.stringify(envelopes.map((envelope) => (
      audience.consumersOf(envelope.eventType, envelope.data).length > 0 ? envelope : { ...envelope, unconsumed: true })));
  }
}
