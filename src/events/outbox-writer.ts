import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { currentContext } from '../observability/request-context.js';
import { currentTraceparent } from '../observability/tracing.js';
import type { EventDefinition, EventData, EventEnvelope, EventMetadata } from './envelope.js';

export interface RaisedEvent<E extends EventDefinition> {
  aggregateId: string;
  aggregateVersion: number;
  data: EventData<E>;
  metadata?: Partial<EventMetadata>;
}

/**
 * Records events in the module's own outbox table inside the caller's transaction,
 * so the event exists if and only if the state change committed.
 * @example await outbox.append(trx, UserRegistered, { aggregateId: id, aggregateVersion: 1, data })
 */
export class OutboxWriter {
  constructor(
    private readonly schema: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append<E extends EventDefinition>(trx: Knex.Transaction, event: E, raised: RaisedEvent<E>): Promise<EventEnvelope<EventData<E>>> {
    // Publishing data that breaks our own contract is a bug: fail the transaction, not the consumers.
    const data = event.schema.parse(raised.data) as EventData<E>;
    const context = currentContext();
    // The trace travels with the event, so its consumer's span continues the producer's trace.
    const traceparent = currentTraceparent();
    const metadata: EventMetadata = {
      correlationId: raised.metadata?.correlationId ?? context?.correlationId ?? uuidv7(),
      ...(context?.actorId ? { actorId: context.actorId } : {}),
      ...(traceparent ? { traceparent } : {}),
      ...raised.metadata,
    };
    const envelope: EventEnvelope<EventData<E>> = {
      eventId: uuidv7(),
      eventType: event.type,
      eventVersion: event.version,
      aggregateId: raised.aggregateId,
      aggregateVersion: raised.aggregateVersion,
      occurredAt: this.now().toISOString(),
      data,
      metadata,
    };
    await trx.withSchema(this.schema).table('outbox').insert({
      event_id: envelope.eventId,
      event_type: envelope.eventType,
      event_version: envelope.eventVersion,
      aggregate_id: envelope.aggregateId,
      aggregate_version: envelope.aggregateVersion,
      occurred_at: envelope.occurredAt,
      data: JSON.stringify(envelope.data),
      metadata: JSON.stringify(envelope.metadata),
      correlation_id: envelope.metadata.correlationId,
    });
    return envelope;
  }
}
