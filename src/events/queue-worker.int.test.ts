import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { eventually } from '../testing/eventually.js';
import { PrivateRedis } from '../testing/private-redis.js';
import { QueueWorker } from './queue-worker.js';

const TIMEOUT = 60_000;
const GRACE_MS = 500;
const log = createLogger({ level: 'silent', pretty: false });

let redis: PrivateRedis;
let producer: Redis;
let queue: Queue;
let worker: QueueWorker<{ n: number }> | undefined;
let prefix = '';

/** A job the test lets finish when it wants to, and whether its processor ran to the end. */
function gatedJob(): { processor: () => Promise<void>; started: Promise<void>; release(): void; finished(): boolean } {
  let release = () => {};
  let started = () => {};
  let finished = false;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const startedPromise = new Promise<void>((resolve) => { started = resolve; });
  return {
    processor: async () => { started(); await gate; finished = true; },
    started: startedPromise,
    release: () => release(),
    finished: () => finished,
  };
}

beforeAll(async () => {
  redis = await PrivateRedis.start();
}, TIMEOUT);

afterEach(async () => {
  if (!redis.running) await redis.start();
  await worker?.close();
  await queue?.close();
  producer?.disconnect();
}, TIMEOUT);

afterAll(async () => {
  await redis?.stop();
}, TIMEOUT);

async function startWorker(processor: () => Promise<void>): Promise<void> {
  prefix = `test-queue-worker-${Math.random().toString(36).slice(2)}`;
  producer = new Redis(redis.url, { maxRetriesPerRequest: null });
  producer.on('error', () => undefined);
  queue = new Queue('work', { connection: producer, prefix });
  queue.on('error', () => undefined);
  worker = new QueueWorker('work', processor, { redisUrl: redis.url, prefix, concurrency: 2, lockMs: 5_000, closeGraceMs: GRACE_MS, log });
  await worker.worker.waitUntilReady();
}

describe('QueueWorker', () => {
  it('finishes the job in hand before it closes, and Redis records it completed', async () => {
    const job = gatedJob();
    await startWorker(job.processor);
    await queue.add('one', { n: 1 }, { jobId: 'one' });
    await job.started;

    let closed = false;
    const closing = worker!.close().then(() => { closed = true; });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    job.release();
    await closing;
    worker = undefined;

    expect(job.finished()).toBe(true);
    expect(await queue.getJobState('one')).toBe('completed');
  }, TIMEOUT);

  it('closes while Redis is down, once the job in hand has finished', async () => {
    const job = gatedJob();
    await startWorker(job.processor);
    await queue.add('one', { n: 1 }, { jobId: 'one' });
    await job.started;
    await redis.stop();

    const closing = worker!.close();
    setTimeout(() => job.release(), 300);
    const began = Date.now();
    await closing;
    worker = undefined;

    expect(job.finished()).toBe(true);
    // The job's 300 ms, then at most the grace: BullMQ alone would wait here forever.
    expect(Date.now() - began).toBeLessThan(300 + GRACE_MS + 2_000);
  }, TIMEOUT);

  it('closes when Redis is back but the worker has not reconnected yet', async () => {
    await startWorker(async () => {});
    await redis.stop();
    // BullMQ's reconnect backoff reaches seconds after a few refused attempts.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await redis.start();
    expect(worker!.worker.isRunning()).toBe(true);

    const began = Date.now();
    await worker!.close();
    worker = undefined;
    expect(Date.now() - began).toBeLessThan(GRACE_MS + 2_000);

    // Nothing of the closed worker fetches jobs any more.
    await eventually(async () => expect(await queue.getWorkersCount()).toBe(0), 10_000);
    await queue.add('later', { n: 2 }, { jobId: 'later' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await queue.getJobState('later')).toBe('waiting');
  }, TIMEOUT);
});
