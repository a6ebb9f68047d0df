import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import { businessKeyMatch } from './business-key.js';
import type { Logger } from '../observability/logger.js';
import type { EventEnvelope } from './envelope.js';
import type { EventBus } from './event-bus.js';
import type { PipelineStats } from './pipeline-stats.js';

export type DeadLetterStatus = 'waiting' | 'redriving' | 'parked' | 'resolved';

export interface DeadLetter {
  module: string;
  eventId: string;
  eventType: string;
  aggregateId: string;
  correlationId: string;
  attempts: number;
  lastError: string | null;
  failedAt: string;
  redriveCount: number;
  nextRedriveAt: string | null;
  status: DeadLetterStatus;
  resolvedAt: string | null;
  envelope: EventEnvelope;
}

export interface RedrivePolicy {
  /** automatic re-drives before a dead letter waits for an operator */
  maxRedrives: number;
  /** first automatic re-drive after this; doubles each time */
  delayMs: number;
}

interface DeadLetterRow {
  event_id: string; event_type: string; aggregate_id: string; correlation_id: string; envelope: EventEnvelope;
  attempts: number; last_error: string | null; failed_at: Date; redrive_count: number; next_redrive_at: Date | null;
  status: DeadLetterStatus; resolved_at: Date | null;
}

/**
 * The dead-letter set of one consuming module: exhausted deliveries, their history, and
 * their re-drives, automatic (bounded, backed off) and by an operator. Rows live in the
 * module's own schema; the jobs stay in BullMQ's failed set, visible on the board.
 */
export class DeadLetters {
  private readonly table: string;

  constructor(private readonly parts: { module: string; schema: string; db: Knex; bus: EventBus; policy: RedrivePolicy; stats: PipelineStats; log: Logger }) {
    this.table = `"${parts.schema}".dead_letters`;
  }

  /** Called when a delivery exhausted its attempts (or its event can never be handled). */
  async record(job: Job<EventEnvelope>, error: Error): Promise<void> {
    const event = job.data;
    const { maxRedrives, delayMs } = this.parts.policy;
    const nextStep = this.nextStep('d.redrive_count');
    await this.parts.db.raw(
      `INSERT INTO ${this.table} AS d (event_id, event_type, aggregate_id, correlation_id, envelope, attempts, last_error, status, next_redrive_at)
       VALUES (?, ?, ?, ?, ?::jsonb, ?, ?, CASE WHEN ? > 0 THEN 'waiting' ELSE 'parked' END,
               CASE WHEN ? > 0 THEN now() + make_interval(secs => ?) END)
       ON CONFLICT (event_id) DO UPDATE SET
         attempts = d.attempts + EXCLUDED.attempts, last_error = EXCLUDED.last_error, failed_at = now(), resolved_at = NULL,
         ${nextStep.sql}`,
      [
        event.eventId, event.eventType, event.aggregateId, event.metadata.correlationId, JSON.stringify(event),
        Math.max(1, job.attemptsMade), error.message.slice(0, 2000), maxRedrives, maxRedrives, delayMs / 1000,
        ...nextStep.bindings,
      ],
    );
    this.parts.stats.deadLettered(this.parts.module);
    this.parts.log.warn({ eventId: event.eventId, eventType: event.eventType, err: error.message }, 'event delivery dead-lettered');
  }

  async list(filter: { status?: DeadLetterStatus; limit: number }): Promise<DeadLetter[]> {
    const query = this.parts.db.raw(
      `SELECT * FROM ${this.table} WHERE (?::text IS NULL OR status = ?) ORDER BY failed_at DESC LIMIT ?`,
      [filter.status ?? null, filter.status ?? null, filter.limit],
    );
    return ((await query).rows as DeadLetterRow[]).map((row) => this.toDeadLetter(row));
  }

  async findByKey(key: string): Promise<DeadLetter[]> {
    const match = businessKeyMatch("envelope -> 'data'", key);
    const rows = (await this.parts.db.raw(`SELECT * FROM ${this.table} WHERE ${match.sql} ORDER BY failed_at LIMIT 200`, match.bindings)).rows as DeadLetterRow[];
    return rows.map((row) => this.toDeadLetter(row));
  }

  /** An operator's replay: any unresolved dead letter (or the listed ones), whatever its re-drive count. */
  async replay(eventIds?: readonly string[]): Promise<string[]> {
    const rows = (await this.parts.db.raw(
      `UPDATE ${this.table} SET status = 'redriving', next_redrive_at = NULL
       WHERE status IN ('waiting', 'parked') AND (?::uuid[] IS NULL OR event_id = ANY(?::uuid[])) RETURNING *`,
      [eventIds ? [...eventIds] : null, eventIds ? [...eventIds] : null],
    )).rows as DeadLetterRow[];
    return this.redeliver(rows);
  }

  /** Automatic re-drives that are due; several processes may run this at once. */
  async redriveDue(): Promise<string[]> {
    const rows = (await this.parts.db.raw(
      `UPDATE ${this.table} d SET status = 'redriving', redrive_count = d.redrive_count + 1, next_redrive_at = NULL
       FROM (SELECT event_id FROM ${this.table} WHERE status = 'waiting' AND next_redrive_at <= now()
             ORDER BY next_redrive_at LIMIT 100 FOR UPDATE SKIP LOCKED) due
       WHERE d.event_id = due.event_id RETURNING d.*`,
    )).rows as DeadLetterRow[];
    return this.redeliver(rows);
  }

  /** Marks re-driven deliveries resolved once their job completed; a renewed failure is recorded by `record`. */
  async settleRedriven(): Promise<number> {
    const rows = (await this.parts.db.raw(`SELECT event_id FROM ${this.table} WHERE status = 'redriving' LIMIT 500`)).rows as { event_id: string }[];
    const queue = this.parts.bus.queueFor(this.parts.module);
    const done: string[] = [];
    for (const { event_id: eventId } of rows) {
      const state = await queue.getJobState(eventId);
      if (state === 'completed' || state === 'unknown') done.push(eventId);
    }
    if (done.length > 0) {
      await this.parts.db.raw(`UPDATE ${this.table} SET status = 'resolved', resolved_at = now() WHERE status = 'redriving' AND event_id = ANY(?::uuid[])`, [done]);
    }
    return done.length;
  }

  /** Hands rows marked 'redriving' back to the bus; a row that cannot be handed over returns to the set. */
  private async redeliver(rows: readonly DeadLetterRow[]): Promise<string[]> {
    const delivered: string[] = [];
    for (const row of rows) {
      try {
        await this.parts.bus.redeliver(this.parts.module, row.envelope);
        delivered.push(row.event_id);
      } catch (error) {
        await this.returnToSet(row, error instanceof Error ? error.message : String(error));
      }
    }
    if (delivered.length > 0) this.parts.log.info({ events: delivered.length }, 're-drove dead letters');
    return delivered;
  }

  private async returnToSet(row: DeadLetterRow, reason: string): Promise<void> {
    const nextStep = this.nextStep('redrive_count');
    await this.parts.db.raw(
      `UPDATE ${this.table} SET last_error = ?, ${nextStep.sql} WHERE event_id = ? AND status = 'redriving'`,
      [`re-drive failed: ${reason}`.slice(0, 2000), ...nextStep.bindings, row.event_id],
    );
    this.parts.log.warn({ eventId: row.event_id, err: reason }, 'could not re-drive a dead letter; it stays in the set');
  }

  /** The policy in SQL: after `maxRedrives` re-drives a dead letter parks, else it waits a doubling delay. */
  private nextStep(redriveCount: string): { sql: string; bindings: number[] } {
    const { maxRedrives, delayMs } = this.parts.policy;
    return {
      sql: `status = CASE WHEN ${redriveCount} >= ? THEN 'parked' ELSE 'waiting' END,
         next_redrive_at = CASE WHEN ${redriveCount} >= ? THEN NULL ELSE now() + make_interval(secs => ? * power(2, ${redriveCount})) END`,
      bindings: [maxRedrives, maxRedrives, delayMs / 1000],
    };
  }

  private toDeadLetter(row: DeadLetterRow): DeadLetter {
    return {
      module: this.parts.module, eventId: row.event_id, eventType: row.event_type, aggregateId: row.aggregate_id,
      correlationId: row.correlation_id, attempts: row.attempts, lastError: row.last_error, failedAt: row.failed_at.toISOString(),
      redriveCount: row.redrive_count, nextRedriveAt: row.next_redrive_at?.toISOString() ?? null, status: row.status,
      resolvedAt: row.resolved_at?.toISOString() ?? null, envelope: row.envelope,
    };
  }
}
