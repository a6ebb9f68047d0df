import type { Knex } from 'knex';
import { PreparedStatement } from '../db/prepared-statement.js';
import type { EventEnvelope } from './envelope.js';

export interface InboxEntry {
  event: EventEnvelope;
  handler: string;
}

export const inboxKey = (eventId: string, handler: string): string => `${eventId}|${handler}`;

const claims = new Map<string, PreparedStatement<{ event_id: string; handler: string }>>();

/** One text per schema whatever the number of entries (they travel as arrays), so it is prepared once. */
function claimStatement(schema: string): PreparedStatement<{ event_id: string; handler: string }> {
  let statement = claims.get(schema);
  if (!statement) {
    statement = new PreparedStatement('inbox-claim', `INSERT INTO "${schema}".inbox (event_id, handler, event_type, aggregate_id, correlation_id)
      SELECT e.event_id, e.handler, e.event_type, e.aggregate_id, e.correlation_id
      FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[]) AS e(event_id, handler, event_type, aggregate_id, correlation_id)
      ON CONFLICT DO NOTHING RETURNING event_id, handler`);
    claims.set(schema, statement);
  }
  return statement;
}

/**
 * Records, in one statement inside the handlers' transaction, that each handler applies
 * its event. Returns the keys that were new: an entry already there was applied before,
 * and its handler is skipped, so a redelivery has no second effect.
 */
export async function claimInbox(trx: Knex.Transaction, schema: string, entries: readonly InboxEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const { rows } = await claimStatement(schema).run(trx, [
    entries.map(({ event }) => event.eventId), entries.map(({ handler }) => handler), entries.map(({ event }) => event.eventType),
    entries.map(({ event }) => event.aggregateId), entries.map(({ event }) => event.metadata.correlationId),
  ]);
  return new Set(rows.map((row) => inboxKey(row.event_id, row.handler)));
}
