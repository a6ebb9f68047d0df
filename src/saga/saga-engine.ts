import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import type { Knex } from 'knex';
import { newId } from '../db/new-id.js';
import { hashTagged } from '../events/hash-tag.js';
import { QueueWorker } from '../events/queue-worker.js';
import type { RedisClient } from '../events/redis-connection.js';
import type { Logger } from '../observability/logger.js';
import { currentContext } from '../observability/request-context.js';
import { currentTraceparent } from '../observability/tracing.js';
import { SagaCheckpoints } from './saga-checkpoints.js';
import type { SagaDefinition, SagaFailure, SagaStatus } from './saga-definition.js';
import { ABORT_SIGNAL, SagaRunner, type RetryPolicy } from './saga-runner.js';
import { SagaStarts } from './saga-starts.js';
import { SagaStore, type SagaRecord, type SagaTarget } from './saga-store.js';

export interface SagaEngineParts {
  module: string;
  schema: string;
  db: Knex;
  definitions: readonly SagaDefinition<any, any>[];
  /** handed to every step as `ctx.services`: the owning module's container */
  services: unknown;
  /** shared connection for adding jobs; the worker opens its own */
  queueConnection: RedisClient;
  redisUrl: string;
  prefix: string;
  settings: { concurrency: number; leaseMs: number; sweepMs: number; transactions: number; policy: RetryPolicy };
  log: Logger;
}

interface RunJob {
  sagaId: string;
}

/** The BullMQ queue that wakes one module's sagas; hash-tagged, so it runs on a Redis Cluster. */
export function sagaQueueName(moduleName: string): string {
  return hashTagged(`${moduleName}-sagas`);
}

/**
 * Durable, orchestrated sagas of one module. PostgreSQL holds every saga's progress; BullMQ
 * jobs only wake a saga, so any worker of any process can pick up where a crashed one
 * stopped. A sweep re-wakes sagas whose job was lost or whose worker died (its lease ran out).
 * @example const { sagaId } = await sagas.start(trx, placeOrder, { lockKey: orderId, input })
 */
export class SagaEngine {
  readonly queue: Queue<RunJob>;
  private readonly store: SagaStore;
  private readonly starts: SagaStarts;
  private readonly runner: SagaRunner;
  private readonly definitions: Map<string, SagaDefinition<any, any>>;
  private readonly owner = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  private worker: QueueWorker<RunJob> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** sagas this process is running: the heartbeat renews their leases */
  private readonly held = new Set<string>();
  private running = false;
  /** sagas this process runs without a queue round trip (see `wake` and `start`) */
  private readonly local = new Set<Promise<void>>();
  /** places promised to sagas whose start has not committed yet */
  private reserved = 0;
  private readonly settledSagas = new EventEmitter().setMaxListeners(0);

  constructor(private readonly parts: SagaEngineParts) {
    this.definitions = new Map(parts.definitions.map((definition) => [definition.name, definition]));
    this.store = new SagaStore(parts.db, parts.schema);
    const limits = { maxBatch: 50, maxInFlight: parts.settings.transactions };
    this.starts = new SagaStarts(parts.db, this.store, { owner: this.owner, ms: parts.settings.leaseMs }, limits);
    this.queue = new Queue<RunJob>(sagaQueueName(parts.module), { connection: parts.queueConnection, prefix: parts.prefix });
    this.queue.on('error', (error) => parts.log.warn({ err: error.message }, 'saga queue error'));
    this.runner = new SagaRunner({
      checkpoints: new SagaCheckpoints(parts.db, this.store, this.owner, limits), definitions: this.definitions, services: parts.services, policy: parts.settings.policy,
      log: parts.log.child({ component: 'saga' }), schedule: (id, version, inMs) => this.wake(id, version, inMs),
    });
  }

  /**
   * Starts a saga inside the caller's transaction: it exists if and only if that transaction
   * commits, and it runs once it has. With a `lockKey`, a second unfinished saga for the same
   * key is refused with a 409 problem (the semantic lock).
   */
  async start<S>(trx: Knex.Transaction | undefined, saga: SagaDefinition<S, any>, options: { id?: string; lockKey?: string; input: S }): Promise<{ sagaId: string }> {
    if (!this.definitions.has(saga.name)) throw new Error(`saga ${saga.name} is not declared in the ${this.parts.module} module's manifest`);
    const id = options.id ?? newId();
    // With room here, the saga is inserted already leased to this process and runs as soon as
    // it exists: no claim, no queue. Were this process to die first, the lease runs out and the sweep wakes it.
    const runHere = this.hasRoom();
    if (runHere) this.reserved += 1;
    const record = { id, sagaType: saga.name, lockKey: options.lockKey ?? null, state: options.input, correlationId: currentContext()?.correlationId ?? id, traceparent: currentTraceparent() ?? null, leased: runHere };
    try {
      const inserted = await this.starts.insert(trx, record);
      const begin = (): Promise<void> => {
        if (runHere && this.running) return this.runHere(inserted);
        if (runHere) this.reserved -= 1; // stopping meanwhile: its lease runs out and the next start's sweep takes it
        return this.wake(id, 1, 0);
      };
      if (trx) trx.executionPromise.then(begin, () => { if (runHere) this.reserved -= 1; }).catch(() => undefined);
      else await begin();
    } catch (error) {
      if (runHere) this.reserved -= 1;
      throw error;
    }
    return { sagaId: id };
  }

  /**
   * Hands a signal to an unfinished saga (by id, or by type and lock key) in the caller's
   * transaction; a saga waiting for it resumes once that transaction commits. False when
   * no unfinished saga matches.
   */
  async signal(trx: Knex.Transaction, target: SagaTarget, name: string, payload: unknown): Promise<boolean> {
    // With room here, the signal leases the saga it wakes to this process, which runs it once
    // the caller commits: no claim, no queue (as `start` does). Were this process to die first,
    // the lease runs out and the sweep wakes it.
    const runHere = this.hasRoom();
    if (runHere) this.reserved += 1;
    let signalled: Awaited<ReturnType<SagaStore['signal']>>;
    try {
      signalled = await this.store.signal(trx, target, name, payload, runHere ? { owner: this.owner, ms: this.parts.settings.leaseMs } : undefined);
    } catch (error) {
      if (runHere) this.reserved -= 1;
      throw error;
    }
    const claimed = signalled?.claimed;
    if (runHere && !claimed) this.reserved -= 1;
    if (claimed) {
      trx.executionPromise.then(() => {
        if (this.running) return this.runHere(claimed);
        this.reserved -= 1; // stopping meanwhile: its lease runs out and a sweep takes it
        return undefined;
      }, () => { this.reserved -= 1; }).catch(() => undefined);
    } else if (signalled?.wakes) this.afterCommit(trx, () => this.wake(signalled.id, signalled.version, 0));
    return signalled !== undefined;
  }

  /** Asks a saga to stop and compensate; it does so at its next step boundary unless past its pivot. */
  requestAbort(trx: Knex.Transaction, target: SagaTarget, failure: Omit<SagaFailure, 'step'>): Promise<boolean> {
    return this.signal(trx, target, ABORT_SIGNAL, failure);
  }

  find(id: string): Promise<SagaRecord | undefined> {
    return this.store.find(id);
  }

  /** The latest saga of a type for a lock key, finished or not. */
  findByLock(sagaType: string, lockKey: string): Promise<SagaRecord | undefined> {
    return this.store.findByLock(sagaType, lockKey);
  }

  list(filter: { status?: SagaStatus; sagaType?: string; limit: number }): Promise<SagaRecord[]> {
    return this.store.list(filter);
  }

  /** Resumes a NEEDS_ATTENTION saga where it stopped, with fresh attempts. */
  async retry(id: string): Promise<SagaRecord | undefined> {
    const resumed = await this.store.unpark(id);
    if (resumed) await this.wake(resumed.id, resumed.version, 0);
    return resumed;
  }

  /**
   * Listens for sagas that this process's workers finish (COMPLETED, COMPENSATED) or park
   * (NEEDS_ATTENTION); for benchmarks, metrics and tests. Returns the way to stop listening.
   */
  onSettled(listener: (saga: SagaRecord) => void): () => void {
    this.settledSagas.on('settled', listener);
    return () => this.settledSagas.off('settled', listener);
  }

  get hasSagas(): boolean {
    return this.definitions.size > 0;
  }


  /** Runs sagas of this module in this process, and sweeps for ones nobody is running. */
  startWorkers(): void {
    if (this.running || !this.hasSagas) return;
    this.running = true;
    const { parts } = this;
    this.worker = new QueueWorker<RunJob>(sagaQueueName(parts.module), (job) => this.process(job.data.sagaId).then((saga) => this.announce(saga)), {
      redisUrl: parts.redisUrl, prefix: parts.prefix, concurrency: parts.settings.concurrency, log: parts.log,
      // A job of a killed worker comes back as soon as a saga lease would have run out.
      lockMs: parts.settings.leaseMs,
      onFailed: (job, error) => parts.log.warn({ sagaId: job?.data.sagaId, err: error.message }, 'saga job failed; the sweep will wake the saga again'),
    });
    // One timer for every saga running here: a slow step (a gateway that takes its time) keeps its saga.
    this.heartbeat = setInterval(() => {
      if (this.held.size > 0) this.store.extendLeases([...this.held], this.owner, parts.settings.leaseMs).catch(() => undefined);
    }, Math.max(100, Math.floor(parts.settings.leaseMs / 3)));
    // Unfinished sagas of a process that stopped resume at once, not one sweep later.
    void this.sweep(0).finally(() => this.scheduleSweep());
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.sweepTimer);
    await Promise.allSettled([...this.local]);
    await this.worker?.close();
    clearInterval(this.heartbeat);
    await this.queue.close();
  }

  /** Wakes every due saga nobody holds; also run on a timer. */
  async sweep(graceMs = Math.min(1_000, this.parts.settings.sweepMs)): Promise<number> {
    const due = await this.store.due(graceMs, 1_000);
    await Promise.all(due.map((saga) => this.wake(saga.id, saga.version, 0)));
    return due.length;
  }

  private scheduleSweep(): void {
    if (!this.running) return;
    this.sweepTimer = setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.parts.log.warn({ err: error }, 'saga sweep failed'))
        .finally(() => this.scheduleSweep());
    }, this.parts.settings.sweepMs);
  }

  /** Claims and runs a saga; answers it when it settled here. */
  private async process(sagaId: string): Promise<SagaRecord | undefined> {
    const claimed = await this.store.claim(sagaId, this.owner, this.parts.settings.leaseMs);
    return claimed ? this.runClaimed(claimed) : undefined;
  }

  private async runClaimed(claimed: SagaRecord): Promise<SagaRecord | undefined> {
    this.held.add(claimed.id);
    try {
      return await this.runner.run(claimed);
    } finally {
      this.held.delete(claimed.id);
    }
  }

  /** Tells the onSettled listeners of a saga that settled here. */
  private announce(saga: SagaRecord | undefined): void {
    if (saga) this.settledSagas.emit('settled', saga);
  }

  private hasRoom(): boolean {
    return this.running && this.local.size + this.reserved < this.parts.settings.concurrency;
  }

  /** Runs a saga in this process, counted against its concurrency, tracked for shutdown. */
  private runHere(saga: SagaRecord | string): Promise<void> {
    if (typeof saga !== 'string') this.reserved -= 1;
    const id = typeof saga === 'string' ? saga : saga.id;
    const run: Promise<void> = (typeof saga === 'string' ? this.process(saga) : this.runClaimed(saga))
      .then((settled) => {
        // Its place is free before anyone hears of it: a listener that starts the next saga finds room here.
        this.local.delete(run);
        this.announce(settled);
      })
      .catch((error: unknown) => this.parts.log.warn({ sagaId: id, err: (error as Error).message }, 'saga run failed; the sweep will wake it again'))
      .finally(() => this.local.delete(run));
    this.local.add(run);
    return Promise.resolve();
  }

  /**
   * One job per saga version: a repeated wake for the same version adds nothing while it
   * waits. Finished jobs are removed, failed ones too (the row and the log keep what matters),
   * so a later wake of the same version is never swallowed by a job that is already over.
   */
  private async wake(id: string, version: number, inMs: number): Promise<void> {
    // A saga due now, in a process that runs sagas and has room, runs here at once: the queue
    // carries only what must wait (a backoff, a deadline) and the hand-over after a crash,
    // which the lease and the sweep provide.
    if (inMs === 0 && this.hasRoom()) return this.runHere(id);
    try {
      await this.queue.add('run', { sagaId: id }, {
        jobId: `${id}_v${version}`, delay: inMs, attempts: 1, removeOnComplete: true, removeOnFail: true,
      });
    } catch (error) {
      // The row is the truth: the sweep wakes the saga once Redis is back.
      this.parts.log.warn({ sagaId: id, err: (error as Error).message }, 'could not enqueue a saga wake-up');
    }
  }

  private afterCommit(trx: Knex.Transaction, work: () => Promise<void>): void {
    trx.executionPromise.then(work, () => undefined).catch(() => undefined);
  }
}
