import { Job, Queue, type JobsOptions } from 'bullmq';
import type { Logger } from '../observability/logger.js';
import type { EventEnvelope } from './envelope.js';
import { consumerQueueName, type EventRouting } from './event-routing.js';
import type { RedisClient } from './redis-connection.js';

export interface DeliveryPolicy {
  attempts: number;
  backoffMs: number;
}

/** What a relay hands its claimed events to: the queues, or local consumers first (LocalFirstDelivery). */
export interface EventPublisher {
  /** resolves with the events some module consumes, once each is delivered or queued for every consumer */
  publish(events: readonly EventEnvelope[]): Promise<EventEnvelope[]>;
}

export interface EventBusSettings {
  connection: RedisClient;
  /** BullMQ key prefix; one per deployment (and per test file) */
  prefix: string;
  delivery: DeliveryPolicy;
  /** an enqueue that takes longer fails, and the relay tries again later */
  publishTimeoutMs: number;
  log: Logger;
}

/** Each consuming module's share of a batch, and the events that have any consumer. */
export function fanOut(routing: EventRouting, events: readonly EventEnvelope[]): { byConsumer: Map<string, EventEnvelope[]>; delivered: EventEnvelope[] } {
  const byConsumer = new Map<string, EventEnvelope[]>();
  const delivered: EventEnvelope[] = [];
  for (const event of events) {
    const consumers = routing.consumersOf(event.eventType, event.data);
    if (consumers.length > 0) delivered.push(event);
    for (const consumer of consumers) {
      const batch = byConsumer.get(consumer);
      if (batch) batch.push(event);
      else byConsumer.set(consumer, [event]);
    }
  }
  return { byConsumer, delivered };
}

/**
 * BullMQ queues, one per consuming module. The job id is the event id, so publishing
 * the same event again while its job exists adds nothing, and a consumer that sees it
 * anyway skips it through its inbox.
 */
export class EventBus implements EventPublisher {
  private readonly queues = new Map<string, Queue>();
  private readonly jobOptions: JobsOptions;

  constructor(private readonly routing: EventRouting, private readonly settings: EventBusSettings) {
    this.jobOptions = {
      attempts: settings.delivery.attempts,
      backoff: { type: 'exponential', delay: settings.delivery.backoffMs },
      removeOnComplete: { age: 3_600, count: 5_000 },
      // Exhausted jobs are the dead-letter set: kept until replayed or resolved.
      removeOnFail: false,
    };
  }

  queueFor(moduleName: string): Queue {
    let queue = this.queues.get(moduleName);
    if (!queue) {
      queue = new Queue(consumerQueueName(moduleName), { connection: this.settings.connection, prefix: this.settings.prefix });
      queue.on('error', (error) => this.settings.log.warn({ err: error.message, queue: queue?.name }, 'queue error'));
      this.queues.set(moduleName, queue);
    }
    return queue;
  }

  /** Every queue any known module consumes from, for the board and operators. */
  allQueues(): Queue[] {
    return this.routing.allConsumers().map((name) => this.queueFor(name));
  }

  get ready(): boolean {
    return this.settings.connection.status === 'ready';
  }

  /**
   * Fans a batch out with one addBulk per consuming queue; resolves with the events some
   * module consumes. Refuses at once while Redis is away: the rows wait in the outbox.
   */
  async publish(events: readonly EventEnvelope[]): Promise<EventEnvelope[]> {
    const { byConsumer, delivered } = fanOut(this.routing, events);
    await Promise.all([...byConsumer].map(([consumer, batch]) => this.enqueue(consumer, batch)));
    return delivered;
  }

  /** Adds the events to one consumer's queue, within the publish timeout; an event whose job exists adds nothing. */
  async enqueue(consumer: string, events: readonly EventEnvelope[]): Promise<void> {
    // Offline, ioredis would queue the commands in memory for as long as Redis is away; keep them in PostgreSQL instead.
    if (!this.ready) throw new Error('Redis is not reachable');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queueFor(consumer).addBulk(events.map((event) => ({ name: event.eventType, data: event, opts: { ...this.jobOptions, jobId: event.eventId } }))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`enqueue took over ${this.settings.publishTimeoutMs} ms`)), this.settings.publishTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Delivers an event to one consumer again: its failed job is retried with a fresh
   * attempt budget, or re-added when the job is gone. Safe to repeat.
   */
  async redeliver(moduleName: string, event: EventEnvelope): Promise<void> {
    const queue = this.queueFor(moduleName);
    const job = await Job.fromId(queue, event.eventId);
    if (job && (await job.isFailed())) {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } else if (!job) {
      await queue.add(event.eventType, event, { ...this.jobOptions, jobId: event.eventId });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
