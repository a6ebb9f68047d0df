import { UnrecoverableError, type Job } from 'bullmq';
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import { runWithContext } from '../observability/request-context.js';
import { inSpan, SpanKind } from '../observability/tracing.js';
import type { DeadLetters } from './dead-letters.js';
import { EnvelopeSchema, type EventEnvelope } from './envelope.js';
import { consumerQueueName } from './event-routing.js';
import { GroupCommit, togetherThenAlone } from './group-commit.js';
import { claimInbox, inboxKey } from './inbox.js';
import type { PipelineStats } from './pipeline-stats.js';
import { QueueWorker } from './queue-worker.js';
import type { EventSubscription } from './subscription.js';

interface Delivery {
  event: EventEnvelope;
  handlers: { subscription: EventSubscription; data: unknown }[];
}

export interface ConsumerParts {
  module: string;
  schema: string;
  db: Knex;
  subscriptions: readonly EventSubscription[];
  resolve<T>(name: string): T;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  /** BullMQ lock of an active job; a worker killed mid-job gives its jobs back after about this long */
  lockMs: number;
  /** most deliveries applied in one transaction */
  maxBatch: number;
  /** transactions in flight at once; more arriving deliveries wait and join the next batch */
  maxInFlight: number;
  deadLetters: DeadLetters;
  stats: PipelineStats;
  log: Logger;
}

/**
 * The BullMQ worker of one consuming module. Handlers run in the module's own transaction
 * together with their inbox rows, so a redelivered event changes nothing twice; deliveries
 * that arrive together share a transaction (group commit).
 * An event that can never be handled (malformed, wrong version, failing its schema) is
 * not retried: it goes straight to the dead-letter set.
 */
export class EventConsumer {
  private readonly byType = new Map<string, EventSubscription[]>();
  private worker: QueueWorker<EventEnvelope> | undefined;
  private readonly batcher: GroupCommit<Delivery>;

  constructor(private readonly parts: ConsumerParts) {
    // A batch shares one transaction of the module; if any handler fails, each delivery is tried alone, so one bad event fails by itself.
    this.batcher = new GroupCommit(togetherThenAlone((batch) => this.applyTogether(batch)), { maxBatch: parts.maxBatch, maxInFlight: parts.maxInFlight });
    for (const subscription of parts.subscriptions) {
      this.byType.set(subscription.event.type, [...(this.byType.get(subscription.event.type) ?? []), subscription]);
    }
  }

  start(): void {
    const { parts } = this;
    this.worker = new QueueWorker<EventEnvelope>(consumerQueueName(parts.module), (job) => this.process(job), {
      redisUrl: parts.redisUrl, prefix: parts.prefix, concurrency: parts.concurrency, lockMs: parts.lockMs, log: parts.log,
      onFailed: (job, error) => {
        if (job) void this.onFailed(job, error);
      },
    });
  }

  /**
   * A job left in the failed set is a dead letter, however it got there: attempts used up,
   * an unrecoverable event, or stalled too often. One that will be retried is only logged.
   */
  private async onFailed(job: Job<EventEnvelope>, error: Error): Promise<void> {
    const { parts } = this;
    try {
      if (await job.isFailed()) await parts.deadLetters.record(job, error);
      else parts.log.warn({ eventId: job.id, attempt: job.attemptsMade, err: error.message }, 'event handler failed; will retry');
    } catch (failure) {
      parts.log.error({ err: failure, eventId: job.id }, 'could not record a dead letter');
    }
  }

  async stop(): Promise<void> {
    await this.worker?.close();
  }

  private async process(job: Job<EventEnvelope>): Promise<void> {
    const parsed = EnvelopeSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed event envelope: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return this.deliver(parsed.data as EventEnvelope);
  }

  /**
   * Applies an event in this process: its handlers in the module's transaction with their
   * inbox rows, sharing it with deliveries that arrive together. Resolves once committed; an
   * event this module can never apply rejects with an UnrecoverableError. The queue's worker
   * comes here for each job, and so does a relay that delivers locally (LocalFirstDelivery).
   */
  async deliver(event: EventEnvelope): Promise<void> {
    const handlers = (this.byType.get(event.eventType) ?? []).map((subscription) => ({ subscription, data: this.checkedData(subscription, event) }));
    if (handlers.length > 0) await this.batcher.submit({ event, handlers });
  }

  /** An event this handler can never apply is not retried: it goes to the dead letters at once. */
  private checkedData(subscription: EventSubscription, event: EventEnvelope): unknown {
    if (event.eventVersion !== subscription.event.version) {
      throw new UnrecoverableError(`${event.eventType} v${event.eventVersion} is not the v${subscription.event.version} that ${subscription.handler} understands`);
    }
    const data = subscription.event.schema.safeParse(event.data);
    if (!data.success) {
      throw new UnrecoverableError(`${event.eventType} fails its schema: ${data.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return data.data;
  }

  private async applyTogether(batch: readonly Delivery[]): Promise<void> {
    const { parts } = this;
    const entries = batch.flatMap(({ event, handlers }) => handlers.map(({ subscription }) => ({ event, handler: subscription.handler })));
    let applied = 0;
    await parts.db.transaction(async (trx) => {
      applied = 0;
      const claimed = await claimInbox(trx, parts.schema, entries);
      for (const { event, handlers } of batch) {
        for (const { subscription, data } of handlers) {
          if (!claimed.has(inboxKey(event.eventId, subscription.handler))) continue;
          await runWithContext({ correlationId: event.metadata.correlationId }, () => inSpan(`event.handle ${event.eventType}`, {
            kind: SpanKind.CONSUMER, parent: event.metadata.traceparent,
            attributes: { 'messaging.system': 'bullmq', 'messaging.message.id': event.eventId, 'commerce.module': parts.module, 'commerce.handler': subscription.handler },
          }, () =>
            subscription.handle({ ...event, data }, {
              trx,
              resolve: parts.resolve,
              // Made only for handlers that log: this is the hot path.
              get log() { return parts.log.child({ eventId: event.eventId, eventType: event.eventType, handler: subscription.handler }); },
            })));
          applied += 1;
        }
      }
    });
    parts.stats.committed(parts.module);
    for (let i = 0; i < applied; i += 1) parts.stats.handled(parts.module);
    for (let i = applied; i < entries.length; i += 1) parts.stats.duplicateSkipped(parts.module);
  }
}
