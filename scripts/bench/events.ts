/**
 * `npm run bench:events`, on this machine in one run:
 *  - raw: N envelopes handed to BullMQ with addBulk → handled by the consumer;
 *  - outbox: N events committed in realistic transactions (order row + outbox row), then
 *    handed to the pipeline at once → relayed, enqueued, handled by the same consumer;
 *    ratio = outbox / raw compares the two deliveries of the same backlog;
 *  - live: producers committing as fast as they can while the pipeline runs (end to end,
 *    transactions included), and commit→handled latency at half of that live peak.
 * Writes bench-results/events.json.
 *
 * The pipeline delivers through BullMQ (EVENT_DELIVERY=queue), the path events take to a
 * consumer in another process, so that outbox and raw compare the same queue; with
 * EVENT_DELIVERY=local-first the consumer, hosted in the same process, gets the events from
 * the relay directly, as in the monolith.
 *
 * Knobs: BENCH_EVENTS (default 20000), BENCH_PRODUCERS (16), BENCH_LATENCY_SECONDS (10), EVENT_DELIVERY.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { createPlatform, type Platform } from '../../src/app/platform.js';
import { prepareDatabase } from '../../src/app/prepare-database.js';
import { loadConfig } from '../../src/config/config.js';
import { withDatabase } from '../../src/db/database-url.js';
import { dropDatabase } from '../../src/db/provision.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { createLogger } from '../../src/observability/logger.js';
import { deleteRedisKeys } from '../../src/testing/redis-keys.js';
import { BENCH_DATABASE_PREFIX, BENCH_REDIS_PREFIX, BENCH_SECRETS, removeWhatKilledRunsLeft } from './bench-run.js';
import { BenchOrderPlaced, benchEffectsModule, benchOrdersModule } from './bench-modules.js';
import { percentiles, round } from './percentiles.js';

const TOTAL = Number(process.env.BENCH_EVENTS ?? 20_000);
const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 16);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `${BENCH_DATABASE_PREFIX}${process.pid}`;
const prefix = `${BENCH_REDIS_PREFIX}${process.pid}`;

const committedAt = new Map<string, number>();
const latencies: number[] = [];
let handled = 0;
let onAllHandled: (() => void) | undefined;
let expected = 0;

function stampHandled(eventId: string): void {
  const started = committedAt.get(eventId);
  // Forget handled events: a map growing over every phase would make the bench's own GC the tail.
  committedAt.delete(eventId);
  if (started !== undefined) latencies.push(performance.now() - started);
  handled += 1;
  if (handled >= expected) onAllHandled?.();
}

function waitForHandled(count: number): Promise<void> {
  expected = count;
  return handled >= count ? Promise.resolve() : new Promise((resolve) => { onAllHandled = resolve; });
}

function orderEvent() {
  return { orderId: uuidv4(), customerId: uuidv4(), amountCents: 1999, lines: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1 }] };
}

/** One customer transaction: the order row and its event commit together. */
async function placeOrder(platform: Platform): Promise<void> {
  const producer = platform.modules.find((m) => m.definition.name === 'bench-orders')!.container.cradle;
  const data = orderEvent();
  let eventId = '';
  await producer.db.transaction(async (trx) => {
    await trx('bench_orders').insert({ id: data.orderId, amount_cents: data.amountCents });
    eventId = (await (producer.outbox as OutboxWriter).append(trx, BenchOrderPlaced, { aggregateId: data.orderId, aggregateVersion: 1, data })).eventId;
  });
  committedAt.set(eventId, performance.now());
}

async function runProducers(platform: Platform, count: number, ratePerSec?: number): Promise<void> {
  let issued = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: PRODUCERS }, async () => {
    while (issued < count) {
      const mine = issued++;
      if (ratePerSec) {
        const due = started + (mine / ratePerSec) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await placeOrder(platform);
    }
  }));
}

async function rawBaseline(platform: Platform): Promise<number> {
  const queue = platform.events.bus.queueFor('bench-effects');
  const envelopes: EventEnvelope[] = Array.from({ length: TOTAL }, () => {
    const data = orderEvent();
    return { eventId: uuidv7(), eventType: BenchOrderPlaced.type, eventVersion: 1, aggregateId: data.orderId, aggregateVersion: 1, occurredAt: new Date().toISOString(), data, metadata: { correlationId: uuidv7() } };
  });
  handled = 0;
  const done = waitForHandled(TOTAL);
  const started = performance.now();
  for (let i = 0; i < envelopes.length; i += 500) {
    await queue.addBulk(envelopes.slice(i, i + 500).map((event) => ({ name: event.eventType, data: event, opts: { jobId: event.eventId, removeOnComplete: { count: 5_000 }, attempts: 8 } })));
  }
  await done;
  return TOTAL / ((performance.now() - started) / 1000);
}

/** Events already committed, handed to the pipeline at once: its capacity from commit to handled. */
async function outboxDrain(platform: Platform): Promise<number> {
  await Promise.all(platform.events.relays.map((relay) => relay.stop()));
  handled = 0;
  await runProducers(platform, TOTAL);
  const done = waitForHandled(TOTAL);
  const started = performance.now();
  for (const relay of platform.events.relays) relay.start();
  await done;
  return TOTAL / ((performance.now() - started) / 1000);
}

/** Producers and pipeline at once, as fast as they go: the end-to-end rate with transactions. */
async function outboxLive(platform: Platform): Promise<number> {
  handled = 0;
  latencies.length = 0;
  const done = waitForHandled(TOTAL);
  const started = performance.now();
  await runProducers(platform, TOTAL);
  await done;
  return TOTAL / ((performance.now() - started) / 1000);
}

async function outboxLatency(platform: Platform, ratePerSec: number): Promise<number[]> {
  const count = Math.max(1_000, Math.round(ratePerSec * LATENCY_SECONDS));
  handled = 0;
  latencies.length = 0;
  const done = waitForHandled(count);
  await runProducers(platform, count, ratePerSec);
  await done;
  return [...latencies];
}


async function main(): Promise<void> {
  const config = loadConfig({
    ...process.env, NODE_ENV: 'production', DATABASE_URL: withDatabase(serverUrl, database), REDIS_PREFIX: prefix, LOG_LEVEL: 'warn',
    ...BENCH_SECRETS, DATABASE_POOL_MAX: '20', EVENT_DELIVERY: process.env.EVENT_DELIVERY ?? 'queue',
  });
  const log = createLogger({ level: 'warn', pretty: false });
  const modules = [benchOrdersModule, benchEffectsModule(stampHandled)];
  await prepareDatabase(config, modules, log);
  const platform = createPlatform({ config, log, modules });
  await removeWhatKilledRunsLeft(serverUrl, platform.redis);
  await platform.start();
  try {
    process.stdout.write(`bench:events  ${TOTAL} events, ${PRODUCERS} producers, delivery ${config.EVENT_DELIVERY}, consumer concurrency ${config.CONSUMER_CONCURRENCY}, relay batch ${config.RELAY_BATCH_SIZE}\n`);
    await outboxLive(platform); // warm-up: JIT, pools, prepared plans
    const rawPerSec = await rawBaseline(platform);
    const outboxPerSec = await outboxDrain(platform);
    const livePerSec = await outboxLive(platform);
    const halfRate = Number(process.env.BENCH_LATENCY_RATE ?? 0) || Math.round(livePerSec / 2);
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const before = platform.events.stats.snapshot()['bench-effects']!;
    const samples = await outboxLatency(platform, halfRate);
    loopDelay.disable();
    const after = platform.events.stats.snapshot()['bench-effects']!;
    const deliveriesPerTransaction = (after.handled - before.handled) / Math.max(1, after.transactions - before.transactions);
    if (process.env.BENCH_DEBUG) console.log(JSON.stringify(platform.events.stats.snapshot(), null, 1));
    const { p50, p95, p99, max } = percentiles(samples);
    const result = {
      rawPerSec: round(rawPerSec), outboxPerSec: round(outboxPerSec), ratio: round(outboxPerSec / rawPerSec, 3),
      livePerSec: round(livePerSec), liveRatio: round(livePerSec / rawPerSec, 3),
      p50Ms: round(p50, 2), p95Ms: round(p95, 2), p99Ms: round(p99, 2), maxMs: round(max, 2),
      latencyRatePerSec: halfRate, latencySamples: samples.length,
      eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6, 2), deliveriesPerTransaction: round(deliveriesPerTransaction, 2),
      delivery: config.EVENT_DELIVERY, events: TOTAL, producers: PRODUCERS, consumerConcurrency: config.CONSUMER_CONCURRENCY, relayBatchSize: config.RELAY_BATCH_SIZE, consumerTransactions: config.CONSUMER_TRANSACTIONS,
      targets: { ratioAtLeast: 0.7, p99MsBelow: 50 },
      measuredAt: new Date().toISOString(),
    };
    console.table([
      { measure: 'raw BullMQ (addBulk → same consumer)', value: `${result.rawPerSec} events/s` },
      { measure: `committed outbox → relay → ${config.EVENT_DELIVERY === 'queue' ? 'BullMQ' : 'directly'} → consumer`, value: `${result.outboxPerSec} events/s` },
      { measure: 'ratio outbox / raw (target ≥ 0.70)', value: result.ratio },
      { measure: 'live: producer transactions + pipeline', value: `${result.livePerSec} events/s (${result.liveRatio} of raw)` },
      { measure: `commit→handled at ${halfRate}/s p50`, value: `${result.p50Ms} ms` },
      { measure: 'commit→handled p95', value: `${result.p95Ms} ms` },
      { measure: 'commit→handled p99 (target < 50)', value: `${result.p99Ms} ms` },
      { measure: 'event-loop delay p99 meanwhile', value: `${result.eventLoopDelayP99Ms} ms` },
      { measure: 'deliveries per consumer transaction meanwhile', value: result.deliveriesPerTransaction },
    ]);
    await mkdir('bench-results', { recursive: true });
    await writeFile('bench-results/events.json', `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write('wrote bench-results/events.json\n');
  } finally {
    await deleteRedisKeys(platform.redis, `${prefix}:*`).catch(() => undefined);
    await platform.close();
    await dropDatabase(serverUrl, database);
  }
}

await main();
