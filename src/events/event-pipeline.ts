import type { Knex } from 'knex';
import type { Config } from '../config/config.js';
import { SingletonWork } from '../db/singleton-work.js';
import type { Logger } from '../observability/logger.js';
import { DeadLetters, type DeadLetter, type DeadLetterStatus } from './dead-letters.js';
import { EventBus, type EventPublisher } from './event-bus.js';
import { EventConsumer } from './event-consumer.js';
import type { EventRouting } from './event-routing.js';
import { findDeliveries, findEvents, type TracedDelivery, type TracedEvent } from './event-trace.js';
import { LocalFirstDelivery } from './local-first-delivery.js';
import { OutboxRelay } from './outbox-relay.js';
import { OutboxWakeups } from './outbox-wakeups.js';
import { PipelineStats } from './pipeline-stats.js';
import type { RedisClient } from './redis-connection.js';
import type { EventSubscription } from './subscription.js';

/** A module hosted by this process, as the event pipeline sees it. */
export interface PipelineModule {
  name: string;
  schema: string;
  db: Knex;
  subscriptions: readonly EventSubscription[];
  resolve<T>(name: string): T;
}

export interface PipelineParts {
  config: Config;
  log: Logger;
  /** who consumes what across every module of the system: consumers may live in another process */
  routing: EventRouting;
  hosted: readonly PipelineModule[];
  /** connection for the queues (the relays' side) */
  redis: RedisClient;
  /** URL for the LISTEN connection (any role of the database) */
  listenUrl: string;
  afterEnqueue?: (events: number) => Promise<void>;
  /**
   * Elects the one instance that prunes each outbox and re-drives each dead-letter set. When
   * given, its owner starts and stops it; by default the pipeline makes its own, on `listenUrl`.
   */
  singletons?: SingletonWork;
}

/** Most prune slices (of PRUNE_SLICE_ROWS) one scheduled prune deletes; the rest waits for the next. */
const MAX_PRUNE_SLICES = 20;

/** Singleton work names: one leader for each across every instance on the database. */
export const pruneWork = (module: string): string => `outbox-prune:${module}`;
export const redriveWork = (module: string): string => `dead-letter-redrive:${module}`;

/**
 * Everything that moves events for the hosted modules: a relay per outbox, a worker per
 * consuming module, their dead letters and re-drives, and the operator's queries.
 *
 * With several instances on one database, relays and consumers run on every one of them
 * (claims with SKIP LOCKED and leases; competing BullMQ workers). Pruning an outbox and
 * scanning a dead-letter set for re-drives are singleton work: only the instance that
 * leads `outbox-prune:<module>` / `dead-letter-redrive:<module>` runs them (`singletons`).
 */
export class EventPipeline {
  readonly stats = new PipelineStats();
  readonly bus: EventBus;
  readonly relays: OutboxRelay[];
  private readonly relaysBySchema = new Map<string, OutboxRelay>();
  private readonly consumers: EventConsumer[] = [];
  private readonly deadLetters = new Map<string, DeadLetters>();
  private readonly wakeups: OutboxWakeups;
  /** who leads the pruning and re-drives of the hosted modules, across instances */
  readonly singletons: SingletonWork;
  private readonly ownsSingletons: boolean;
  private started = false;

  constructor(private readonly parts: PipelineParts) {
    const { config, log } = parts;
    const { routing } = parts;
    this.bus = new EventBus(routing, {
      connection: parts.redis, prefix: `${config.REDIS_PREFIX}:bull`, log, publishTimeoutMs: config.RELAY_PUBLISH_TIMEOUT_MS,
      delivery: { attempts: config.EVENT_ATTEMPTS, backoffMs: config.EVENT_BACKOFF_MS },
    });
    const localConsumers = new Map<string, EventConsumer>();
    const publisher: EventPublisher = config.EVENT_DELIVERY === 'local-first'
      ? new LocalFirstDelivery({ routing, bus: this.bus, local: localConsumers, timeoutMs: config.RELAY_PUBLISH_TIMEOUT_MS, log: log.child({ component: 'local-delivery' }) })
      : this.bus;
    this.relays = parts.hosted.map((module) => {
      const relay = new OutboxRelay({
        module: module.name, schema: module.schema, db: module.db, bus: publisher, stats: this.stats,
        log: log.child({ module: module.name, component: 'outbox-relay' }),
        settings: {
          batchSize: config.RELAY_BATCH_SIZE, pollIntervalMs: config.RELAY_POLL_MS, busyPollMs: config.RELAY_BUSY_POLL_MS, leaseMs: config.RELAY_LEASE_MS,
          retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
        },
        ...(parts.afterEnqueue ? { afterEnqueue: parts.afterEnqueue } : {}),
      });
      this.relaysBySchema.set(module.schema, relay);
      return relay;
    });
    for (const module of parts.hosted.filter((m) => m.subscriptions.length > 0)) {
      const moduleLog = log.child({ module: module.name, component: 'event-consumer' });
      const deadLetters = new DeadLetters({
        module: module.name, schema: module.schema, db: module.db, bus: this.bus, stats: this.stats, log: moduleLog,
        policy: { maxRedrives: config.DEAD_LETTER_REDRIVES, delayMs: config.DEAD_LETTER_REDRIVE_DELAY_MS },
      });
      this.deadLetters.set(module.name, deadLetters);
      const consumer = new EventConsumer({
        module: module.name, schema: module.schema, db: module.db, subscriptions: module.subscriptions, resolve: module.resolve,
        redisUrl: config.REDIS_URL, prefix: `${config.REDIS_PREFIX}:bull`, concurrency: config.CONSUMER_CONCURRENCY, lockMs: config.CONSUMER_LOCK_MS, maxBatch: config.CONSUMER_BATCH_SIZE, maxInFlight: config.CONSUMER_TRANSACTIONS,
        deadLetters, stats: this.stats, log: moduleLog,
      });
      this.consumers.push(consumer);
      localConsumers.set(module.name, consumer);
    }
    this.ownsSingletons = !parts.singletons;
    this.singletons = parts.singletons ?? new SingletonWork({
      url: parts.listenUrl, retryMs: config.SINGLETON_RETRY_MS, log: log.child({ component: 'singleton-work' }),
      instance: `${config.SERVICE_NAME}:${process.pid}`,
    });
    for (const [index, module] of parts.hosted.entries()) {
      const relay = this.relays[index]!;
      const work = pruneWork(module.name);
      this.singletons.every(work, config.OUTBOX_PRUNE_MS, () => relay.pruneExpired(MAX_PRUNE_SLICES, () => this.singletons.isLeading(work)));
    }
    for (const [module, store] of this.deadLetters) {
      this.singletons.every(redriveWork(module), config.DEAD_LETTER_SCAN_MS, () => redrive(store));
    }
    this.wakeups = new OutboxWakeups(parts.listenUrl, (schema) => this.relaysBySchema.get(schema)?.wake(), log);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.wakeups.start();
    for (const consumer of this.consumers) consumer.start();
    for (const relay of this.relays) relay.start();
    if (this.ownsSingletons) await this.singletons.start();
  }

  /** Stops taking new work and waits for what is in hand: relays finish their batch, workers their jobs. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.ownsSingletons) await this.singletons.stop();
    await Promise.all(this.relays.map((relay) => relay.stop()));
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
    await this.wakeups.stop();
    await this.bus.close();
  }

  /** Events not yet enqueued, per hosted module: the backlog an operator (and a metric) watches. */
  async backlog(): Promise<Record<string, number>> {
    const counts = await Promise.all(this.parts.hosted.map(async (module) => {
      const { rows } = await module.db.raw(`SELECT count(*)::int AS n FROM "${module.schema}".outbox WHERE published_at IS NULL`);
      return [module.name, (rows[0] as { n: number }).n] as const;
    }));
    return Object.fromEntries(counts);
  }

  async listDeadLetters(filter: { module?: string; status?: DeadLetterStatus; limit: number }): Promise<DeadLetter[]> {
    const stores = [...this.deadLetters].filter(([module]) => !filter.module || module === filter.module);
    const lists = await Promise.all(stores.map(([, store]) => store.list(filter)));
    return lists.flat().sort((a, b) => b.failedAt.localeCompare(a.failedAt)).slice(0, filter.limit);
  }

  async replayDeadLetters(filter: { module?: string; eventIds?: readonly string[] }): Promise<{ module: string; eventIds: string[] }[]> {
    const stores = [...this.deadLetters].filter(([module]) => !filter.module || module === filter.module);
    return Promise.all(stores.map(async ([module, store]) => ({ module, eventIds: await store.replay(filter.eventIds) })));
  }

  /** Every event, delivery and dead letter a business key (order id, user id, correlation id …) touches. */
  async trace(key: string): Promise<{ events: TracedEvent[]; deliveries: TracedDelivery[]; deadLetters: DeadLetter[] }> {
    const events = (await Promise.all(this.parts.hosted.map((m) => findEvents(m.db, m.name, m.schema, key)))).flat();
    const eventIds = events.map((event) => event.eventId);
    const deliveries = (await Promise.all(this.parts.hosted.map((m) => findDeliveries(m.db, m.name, m.schema, key, eventIds)))).flat();
    const deadLetters = (await Promise.all([...this.deadLetters.values()].map((store) => store.findByKey(key)))).flat();
    return { events: events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)), deliveries, deadLetters };
  }

  /**
   * One pass of automatic re-drives and settlement over every hosted dead-letter set, led or
   * not (for tests and operators; safe beside the leader's). The leader of each set also
   * runs it every DEAD_LETTER_SCAN_MS.
   */
  async redriveOnce(): Promise<void> {
    for (const store of this.deadLetters.values()) await redrive(store);
  }
}

async function redrive(store: DeadLetters): Promise<void> {
  await store.settleRedriven();
  await store.redriveDue();
}
