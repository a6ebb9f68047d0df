import type { Knex } from 'knex';
import type { EventEnvelope } from './envelope.js';

export interface InboxEntry {
  event: EventEnvelope;
  handler: string;
}

export const inboxKey = (eventId: string, handler: string): string => `${eventId}|${handler}`;

/**
 * Records, in one statement inside the handlers' transaction, that each handler applies
 * its event. Returns the keys that were new: an entry already there was applied before,
 * and its handler is skipped, so a redelivery has no second effect.
 */
export async function claimInbox(trx: Knex.Transaction, schema: string, entries: readonly InboxEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const values = entries.map(() => '(?::uuid, ?, ?, ?, ?)').join(', ');
  const bindings = entries.flatMap(({ event, handler }) => [event.eventId, handler, event.eventType, event.aggregateId, event.metadata.correlationId]);
  const { rows } = await trx.raw(
    `INSERT INTO "${schema}".inbox (event_id, handler, event_type, aggregate_id, correlation_id) VALUES ${values}
     ON CONFLICT DO NOTHING RETURNING event_id, handler`,
    bindings,
  );
  return new Set((rows as { event_id: string; handler: string }[]).map((row) => inboxKey(row.event_id, row.handler)));
}
