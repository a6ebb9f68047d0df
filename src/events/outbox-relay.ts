import type { Knex } from 'knex';
import { recordSpan, SpanKind, tracingOn } from '../observability/tracing.js';
import type { Logger } from '../observability/logger.js';
import type { EventPublisher } from './event-bus.js';
import { PreparedStatement } from '../db/prepared-statement.js';
import { envelopeOf, outboxColumns, type OutboxRow } from './outbox-row.js';
import type { PipelineStats } from './pipeline-stats.js';

/** Fast polls after work back off (doubling) until they would wait this long; then the idle poll applies. */
const BUSY_BACKOFF_LIMIT_MS = 200;

/** Batches one relay publishes at once; more would only reorder events further. */
const MAX_BATCHES_IN_FLIGHT = 2;

export interface RelaySettings {
  batchSize: number;
  pollIntervalMs: number;
  /** poll interval right after a batch: a little wait gathers a bigger next batch */
  busyPollMs: number;
  /** how long a claimed batch is ours; a relay that dies leaves rows that others reclaim after it */
  leaseMs: number;
  retentionMs: number;
  /**
   * Set when this relay prunes its own outbox from its loop (a relay on its own, as in tests).
   * The pipeline leaves it out: there, pruning is singleton work (`pruneExpired`), run by one instance.
   */
  pruneIntervalMs?: number;
}

/** Rows one prune statement deletes at most; a bigger backlog takes several. */
export const PRUNE_SLICE_ROWS = 5_000;

export interface RelayParts {
  module: string;
  schema: string;
  db: Knex;
  /** the queues, or local consumers first */
  bus: EventPublisher;
  stats: PipelineStats;
  log: Logger;
  settings: RelaySettings;
  /** test seam: runs after enqueue and before rows are marked, to stand in for a crash there */
  afterEnqueue?: (events: number) => Promise<void>;
}

/**
 * Moves one module's committed outbox rows to BullMQ. Claims are leases taken with
 * `FOR UPDATE SKIP LOCKED`, so several relays share the work without waiting on each
 * other and none publishes a row another holds; a failed publish keeps the rows, with
 * the error and a backed-off next attempt, until Redis takes them.
 * @example const relay = new OutboxRelay(parts); relay.start(); … await relay.stop()
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private lastPrune = 0;
  private quietPolls = Number.POSITIVE_INFINITY;
  /** enqueued rows whose "published" mark rides on the next claim */
  private unmarked: string[] = [];
  private readonly table: string;
  private readonly claimStatement: PreparedStatement<OutboxRow>;
  private readonly markStatement: PreparedStatement;

  constructor(private readonly parts: RelayParts) {
    this.table = `"${parts.schema}".outbox`;
    const mark = `UPDATE ${this.table} SET published_at = now(), locked_until = NULL, last_error = NULL WHERE position = ANY(?::bigint[])`;
    this.markStatement = new PreparedStatement('outbox-mark', mark);
    // Polled all day long, idle or not: parsed and planned once per connection.
    this.claimStatement = new PreparedStatement('outbox-claim', `WITH marked AS (${mark})
      UPDATE ${this.table} o SET locked_until = now() + make_interval(secs => ?), attempts = o.attempts + 1
      FROM (SELECT position FROM ${this.table}
            WHERE published_at IS NULL AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
            ORDER BY position LIMIT ? FOR UPDATE SKIP LOCKED) claim
      WHERE o.position = claim.position
      RETURNING ${outboxColumns('o')}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Called on NOTIFY: drain now instead of at the next poll. */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    await this.markPublished();
  }

  /**
   * Claims, publishes one batch and returns how many rows it published. The rows are
   * marked published by the next claim's statement (one round trip instead of two), or
   * by `markPublished` when the relay stops; until then their lease keeps them ours.
   */
  async drainOnce(): Promise<number> {
    return this.publishClaimed(await this.claim());
  }

  /** Leases the next batch, marking what was published since the last claim in the same statement. */
  private async claim(): Promise<OutboxRow[]> {
    const { db, settings } = this.parts;
    const marking = this.unmarked;
    this.unmarked = [];
    let claimed: OutboxRow[];
    try {
      claimed = (await this.claimStatement.run(db, [marking, settings.leaseMs / 1000, settings.batchSize])).rows;
    } catch (error) {
      this.unmarked = [...marking, ...this.unmarked];
      throw error;
    }
    return claimed.sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)));
  }

  /** Publishes a claimed batch; on failure the rows go back with the error and a backed-off next attempt. */
  private async publishClaimed(claimed: readonly OutboxRow[]): Promise<number> {
    if (claimed.length === 0) return 0;
    const { db } = this.parts;
    const positions = claimed.map((row) => row.position);
    try {
      await this.publish(claimed);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await db.raw(
        `UPDATE ${this.table} SET locked_until = NULL, last_error = ?,
           next_attempt_at = now() + least(interval '5 seconds', interval '50 milliseconds' * power(2, least(attempts, 10)))
         WHERE position = ANY(?::bigint[])`,
        [message.slice(0, 1000), positions],
      );
      this.parts.stats.publishFailed(this.parts.module, claimed.length);
      this.parts.log.warn({ err: message, events: claimed.length }, 'outbox publish failed; will retry');
      return 0;
    }
    const enqueuedAt = Date.now();
    await this.parts.afterEnqueue?.(claimed.length);
    this.unmarked.push(...positions);
    this.parts.stats.published(this.parts.module, claimed.map((row) => enqueuedAt - row.committed_at.getTime()));
    return claimed.length;
  }

  /** Marks what was enqueued but not yet marked; the loop does this itself on its next claim. */
  async markPublished(): Promise<void> {
    if (this.unmarked.length === 0) return;
    await this.markStatement.run(this.parts.db, [this.unmarked]);
    this.unmarked = [];
  }

  /** Deletes published rows past the retention, a bounded slice at a time. */
  async prune(): Promise<number> {
    const result = await this.parts.db.raw(
      `DELETE FROM ${this.table} WHERE position IN (
         SELECT position FROM ${this.table} WHERE published_at < now() - make_interval(secs => ?) ORDER BY position LIMIT ?)`,
      [this.parts.settings.retentionMs / 1000, PRUNE_SLICE_ROWS],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Prunes slice after slice until nothing is past the retention, at most `maxSlices`, and
   * stops early once `keepGoing` says no (leadership lost). Each slice is its own short
   * statement, so publishing never waits behind a long delete.
   */
  async pruneExpired(maxSlices: number, keepGoing: () => boolean = () => true): Promise<number> {
    let pruned = 0;
    for (let slice = 0; slice < maxSlices; slice++) {
      const deleted = await this.prune();
      pruned += deleted;
      if (deleted < PRUNE_SLICE_ROWS || !keepGoing()) break;
    }
    if (pruned > 0) this.parts.log.info({ rows: pruned }, 'outbox pruned');
    return pruned;
  }

  private async publish(rows: readonly OutboxRow[]): Promise<void> {
    const delivered = await this.parts.bus.publish(rows.map(envelopeOf));
    // A hop only where the event went somewhere: one no module consumes ends here, and a span would only be noise in its trace.
    if (!tracingOn()) return;
    const went = new Set(delivered.map((event) => event.eventId));
    for (const row of rows) {
      if (!went.has(row.event_id)) continue;
      recordSpan(`outbox.relay ${row.event_type}`, row.metadata.traceparent, {
        kind: SpanKind.PRODUCER, startTime: row.committed_at,
        attributes: { 'messaging.system': 'bullmq', 'messaging.message.id': row.event_id, 'commerce.module': this.parts.module },
      });
    }
  }

  /**
   * Claims and publishes until stopped. A batch being published does not hold up the next
   * claim (up to MAX_BATCHES_IN_FLIGHT at once): delivering to a consumer of this process
   * takes its transaction, and events committed meanwhile would otherwise wait for it.
   * Claimed rows are leased, so no two batches hold the same row.
   */
  private async run(): Promise<void> {
    const { settings, log } = this.parts;
    const inFlight = new Set<Promise<void>>();
    while (this.running) {
      while (inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
      if (!this.running) break;
      let claimed = 0;
      try {
        const batch = await this.claim();
        claimed = batch.length;
        if (claimed > 0) {
          const publishing: Promise<void> = this.publishClaimed(batch).then(
            () => undefined,
            (error: unknown) => log.error({ err: error }, 'outbox relay cycle failed'),
          ).finally(() => inFlight.delete(publishing));
          inFlight.add(publishing);
        }
        if (settings.pruneIntervalMs !== undefined && Date.now() - this.lastPrune > settings.pruneIntervalMs) {
          this.lastPrune = Date.now();
          await this.prune();
        }
      } catch (error) {
        log.error({ err: error }, 'outbox relay cycle failed');
      }
      if (claimed >= settings.batchSize) continue;
      // After work, look again soon and then less and less often: a producer that committed
      // while rows were still unpublished did not notify (see the outbox trigger), and the
      // next claim also marks this batch published.
      this.quietPolls = claimed > 0 ? 0 : this.quietPolls + 1;
      const delay = settings.busyPollMs * 2 ** this.quietPolls;
      await this.idle(delay < BUSY_BACKOFF_LIMIT_MS ? delay : settings.pollIntervalMs);
    }
    await Promise.allSettled(inFlight);
  }

  private idle(ms: number): Promise<void> {
    if (this.pendingWake || !this.running) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        self.pendingWake = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
