import type { Knex } from 'knex';
import type { EventEnvelope } from './envelope.js';

/**
 * Records that `handler` applied `event`, inside the handler's transaction. Returns false
 * when it already had: the caller then skips the handler, so a redelivery has no second effect.
 */
export async function claimInbox(trx: Knex.Transaction, schema: string, handler: string, event: EventEnvelope): Promise<boolean> {
  const inserted = await trx.raw(
    `INSERT INTO "${schema}".inbox (event_id, handler, event_type, aggregate_id, correlation_id)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [event.eventId, handler, event.eventType, event.aggregateId, event.metadata.correlationId],
  );
  return (inserted.rowCount ?? 0) > 0;
}
