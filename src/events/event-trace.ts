import type { Knex } from 'knex';
import { businessKeyMatch } from './business-key.js';
import type { OutboxRow } from './outbox-row.js';

export interface TracedEvent {
  module: string;
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateVersion: number;
  correlationId: string;
  occurredAt: string;
  publishedAt: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  data: unknown;
}

export interface TracedDelivery {
  module: string;
  handler: string;
  eventId: string;
  eventType: string;
  handledAt: string;
}

interface InboxRow { handler: string; event_id: string; event_type: string; handled_at: Date }

/** Events in one module's outbox that a business key names: by id, aggregate, correlation, or any value in the data. */
export async function findEvents(db: Knex, module: string, schema: string, key: string): Promise<TracedEvent[]> {
  const match = businessKeyMatch('data', key);
  const rows = (await db.raw(`SELECT * FROM "${schema}".outbox WHERE ${match.sql} ORDER BY position LIMIT 500`, match.bindings)).rows as OutboxRow[];
  return rows.map((row) => ({
    module, eventId: row.event_id, eventType: row.event_type, aggregateId: row.aggregate_id, aggregateVersion: row.aggregate_version,
    correlationId: row.correlation_id, occurredAt: row.occurred_at.toISOString(), publishedAt: row.published_at?.toISOString() ?? null,
    attempts: row.attempts, lastError: row.last_error, nextAttemptAt: row.published_at ? null : row.next_attempt_at.toISOString(), data: row.data,
  }));
}

/** Deliveries recorded in one module's inbox for those events or the key itself. */
export async function findDeliveries(db: Knex, module: string, schema: string, key: string, eventIds: readonly string[]): Promise<TracedDelivery[]> {
  const rows = (await db.raw(
    `SELECT * FROM "${schema}".inbox
     WHERE event_id::text = ? OR aggregate_id = ? OR correlation_id = ? OR event_id = ANY(?::uuid[])
     ORDER BY handled_at LIMIT 500`,
    [key, key, key, [...eventIds]],
  )).rows as InboxRow[];
  return rows.map((row) => ({ module, handler: row.handler, eventId: row.event_id, eventType: row.event_type, handledAt: row.handled_at.toISOString() }));
}
