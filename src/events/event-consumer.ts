import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import { runWithContext } from '../observability/request-context.js';
import type { DeadLetters } from './dead-letters.js';
import { EnvelopeSchema, type EventEnvelope } from './envelope.js';
import { consumerQueueName } from './event-routing.js';
import { claimInbox } from './inbox.js';
import type { PipelineStats } from './pipeline-stats.js';
import type { EventSubscription } from './subscription.js';

export interface ConsumerParts {
  module: string;
  schema: string;
  db: Knex;
  subscriptions: readonly EventSubscription[];
  resolve<T>(name: string): T;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  deadLetters: DeadLetters;
  stats: PipelineStats;
  log: Logger;
}

/**
 * The BullMQ worker of one consuming module. Each handler runs in the module's own
 * transaction together with its inbox row, so a redelivered event changes nothing twice.
 * An event that can never be handled (malformed, wrong version, failing its schema) is
 * not retried: it goes straight to the dead-letter set.
 */
export class EventConsumer {
  private readonly byType = new Map<string, EventSubscription[]>();
  private worker: Worker<EventEnvelope> | undefined;
  private connection: Redis | undefined;

  constructor(private readonly parts: ConsumerParts) {
    for (const subscription of parts.subscriptions) {
      this.byType.set(subscription.event.type, [...(this.byType.get(subscription.event.type) ?? []), subscription]);
    }
  }

  start(): void {
    const { parts } = this;
    this.connection = new Redis(parts.redisUrl, { maxRetriesPerRequest: null });
    this.connection.on('error', () => undefined);
    this.worker = new Worker<EventEnvelope>(consumerQueueName(parts.module), (job) => this.process(job), {
      connection: this.connection, prefix: parts.prefix, concurrency: parts.concurrency,
    });
    this.worker.on('error', (error) => parts.log.warn({ err: error.message }, 'event worker error'));
    this.worker.on('failed', (job, error) => {
      if (job) void this.onFailed(job, error);
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
    this.connection?.disconnect();
  }

  private async process(job: Job<EventEnvelope>): Promise<void> {
    const parsed = EnvelopeSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed event envelope: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const event = parsed.data as EventEnvelope;
    await runWithContext({ correlationId: event.metadata.correlationId }, async () => {
      for (const subscription of this.byType.get(event.eventType) ?? []) await this.handle(subscription, event);
    });
  }

  private async handle(subscription: EventSubscription, event: EventEnvelope): Promise<void> {
    const { parts } = this;
    if (event.eventVersion !== subscription.event.version) {
      throw new UnrecoverableError(`${event.eventType} v${event.eventVersion} is not the v${subscription.event.version} that ${subscription.handler} understands`);
    }
    const data = subscription.event.schema.safeParse(event.data);
    if (!data.success) {
      throw new UnrecoverableError(`${event.eventType} fails its schema: ${data.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const applied = await parts.db.transaction(async (trx) => {
      if (!(await claimInbox(trx, parts.schema, subscription.handler, event))) return false;
      // The child logger is made only for handlers that log: this is the hot path.
      const context = {
        trx,
        resolve: parts.resolve,
        get log() { return parts.log.child({ eventId: event.eventId, eventType: event.eventType, handler: subscription.handler }); },
      };
      await subscription.handle({ ...event, data: data.data }, context);
      return true;
    });
    if (applied) parts.stats.handled(parts.module);
    else parts.stats.duplicateSkipped(parts.module);
  }
}
