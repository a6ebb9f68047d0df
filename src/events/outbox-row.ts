import type { EventEnvelope } from './envelope.js';

/** Every column of `OutboxRow`, named (never `*`), prefixed by a table alias. */
export const outboxColumns = (alias: string): string =>
  ['position', 'event_id', 'event_type', 'event_version', 'aggregate_id', 'aggregate_version', 'occurred_at', 'data', 'metadata',
    'correlation_id', 'committed_at', 'attempts', 'last_error', 'next_attempt_at', 'locked_until', 'published_at'].map((column) => `${alias}.${column}`).join(', ');

/** An outbox row as PostgreSQL returns it. */
export interface OutboxRow {
  position: string;
  event_id: string;
  event_type: string;
  event_version: number;
  aggregate_id: string;
  aggregate_version: number;
  occurred_at: Date;
  data: unknown;
  metadata: EventEnvelope['metadata'];
  correlation_id: string;
  committed_at: Date;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  locked_until: Date | null;
  published_at: Date | null;
}

export function envelopeOf(row: OutboxRow): EventEnvelope {
  return {
    eventId: row.event_id,
    eventType: row.event_type,
    eventVersion: row.event_version,
    aggregateId: row.aggregate_id,
    aggregateVersion: row.aggregate_version,
    occurredAt: row.occurred_at.toISOString(),
    data: row.data,
    metadata: row.metadata,
  };
}
