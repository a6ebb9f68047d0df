import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';
import type { Logger } from '../observability/logger.js';
import { connectRedis, type RedisClient } from './redis-connection.js';

export interface QueueWorkerOptions<T> {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  /** BullMQ lock of an active job; a worker killed mid-job gives its jobs back after about this long */
  lockMs: number;
  /** once the jobs in hand have settled, how long BullMQ's own close may still take */
  closeGraceMs?: number;
  /** a job failed: BullMQ retries it or, its attempts used up, leaves it in the failed set */
  onFailed?: (job: Job<T> | undefined, error: Error) => void;
  log: Logger;
}

/**
 * A BullMQ worker on a connection of its own that can always be stopped, whatever state
 * Redis is in.
 *
 * BullMQ's `close()` finishes the jobs in hand, but never resolves when one of the worker's
 * connections is reconnecting at that moment (Redis away at shutdown, or back but not yet
 * reconnected to): it waits for an `end` event that a client without a socket never emits
 * (bullmq issue 4656), and a process stopping then would hang. So the worker counts its own
 * jobs in hand, and once they have settled gives BullMQ's close `closeGraceMs` more; past
 * that it drops the connection. A job whose completion Redis never heard of comes back as
 * stalled to another worker: every processor here is safe to repeat.
 * @example const worker = new QueueWorker('events.notification', (job) => consumer.process(job), { redisUrl, prefix, concurrency: 50, lockMs: 30_000, log })
 */
export class QueueWorker<T> {
  /** the BullMQ worker itself, for readiness and state (tests, operators) */
  readonly worker: Worker<T>;
  private readonly connection: RedisClient;
  private readonly inHand = new Set<Promise<unknown>>();

  constructor(name: string, processor: (job: Job<T>) => Promise<unknown>, private readonly options: QueueWorkerOptions<T>) {
    this.connection = connectRedis(options.redisUrl, { maxRetriesPerRequest: null });
    // Reconnects are ioredis's job; the worker's own 'error' events are logged below.
    this.connection.on('error', () => undefined);
    this.worker = new Worker<T>(name, (job) => this.track(processor(job)), {
      connection: this.connection, prefix: options.prefix, concurrency: options.concurrency,
      lockDuration: options.lockMs, stalledInterval: options.lockMs,
    });
    this.worker.on('error', (error) => options.log.warn({ err: error.message, queue: name }, 'queue worker error'));
    if (options.onFailed) this.worker.on('failed', options.onFailed);
  }

  /** Stops fetching, waits for the jobs in hand, and closes the connection; resolves even with Redis away. */
  async close(): Promise<void> {
    const graceMs = this.options.closeGraceMs ?? 2_000;
    const grace = new AbortController();
    const gaveUp = this.jobsSettled()
      .then(() => sleep(graceMs, true, { signal: grace.signal }))
      .catch(() => false);
    const closed = this.worker.close().then(() => false, () => false);
    const abandoned = await Promise.race([closed, gaveUp]);
    grace.abort();
    if (abandoned) this.options.log.warn({ queue: this.worker.name, graceMs }, 'Redis did not confirm the worker\'s close; dropping its connection');
    this.connection.disconnect();
  }

  /** Resolves once no job is in hand, counting jobs fetched while waiting. */
  private async jobsSettled(): Promise<void> {
    while (this.inHand.size > 0) await Promise.allSettled([...this.inHand]);
  }

  private track<R>(job: Promise<R>): Promise<R> {
    this.inHand.add(job);
    const done = () => { this.inHand.delete(job); };
    job.then(done, done);
    return job;
  }
}
