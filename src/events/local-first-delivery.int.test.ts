import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { eventually } from '../testing/eventually.js';
import type { TestPlatform } from '../testing/test-platform.js';
import { counterModules, effectCounts, outboxRows, startCounterPipeline, writeEvents, type CounterPipeline } from '../testing/counter-pipeline.js';

/**
 * EVENT_DELIVERY=local-first (the default): the relay hands events to the consumers of its
 * own process, and the queue takes over only what fails there.
 */
const TIMEOUT = 60_000;
const FLAKY = 'Flaky';
const SLOW = 'Slow';
/** while set, the consumer refuses every event of a user named FLAKY */
let refusing = true;
/** an event of a user named SLOW waits in its handler until the test lets it go */
let slowGate = Promise.resolve();
let slowEntered = () => {};
const modules = counterModules(allModules, async (event) => {
  if (refusing && event.data.firstName === FLAKY) throw new Error('the consumer cannot take this event yet');
  if (event.data.firstName === SLOW) {
    slowEntered();
    await slowGate;
  }
});

let pipeline: CounterPipeline;
let t: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  pipeline = await startCounterPipeline(modules, { EVENT_DELIVERY: 'local-first' });
  ({ t, admin } = pipeline);
});
afterAll(async () => pipeline?.close());

describe('local-first delivery', () => {
  it('hands a failed delivery to the queue, which retries it until it takes effect once; the others never touch the queue', async () => {
    const written = await writeEvents(t.platform, modules, 10, { data: (index) => (index === 3 ? { firstName: FLAKY } : {}) });
    const ids = written.map((event) => event.eventId);
    const flaky = ids[3]!;
    const queue = t.platform.events.bus.queueFor('notification');

    // Nine take effect in-process and the outbox is marked published: the tenth is in the queue's hands now.
    await eventually(async () => {
      expect((await effectCounts(admin, modules.consumer, ids)).size).toBe(9);
      expect((await outboxRows(admin, modules.publisher, ids)).filter((row) => row.published_at === null)).toEqual([]);
      expect(await queue.getJobState(flaky)).toMatch(/delayed|waiting|active|failed/);
    }, TIMEOUT, 50);
    expect((await effectCounts(admin, modules.consumer, [flaky])).size).toBe(0);

    refusing = false;
    await eventually(async () => expect(await queue.getJobState(flaky)).toBe('completed'), TIMEOUT, 50);
    const counts = await effectCounts(admin, modules.consumer, ids);
    expect([...counts.values()]).toEqual(Array(10).fill(1));
    const queued = await Promise.all(ids.filter((id) => id !== flaky).map((id) => queue.getJob(id)));
    expect(queued.filter((job) => job !== undefined)).toEqual([]);
  }, TIMEOUT);
});

describe('local-first delivery with a slow consumer transaction', () => {
  let slowPipeline: CounterPipeline;

  beforeAll(async () => {
    // Two consumer transactions at once, so that only the relay could make the second event wait.
    slowPipeline = await startCounterPipeline(modules, { EVENT_DELIVERY: 'local-first', CONSUMER_TRANSACTIONS: '2' });
  }, TIMEOUT);
  afterAll(async () => slowPipeline?.close());

  it('an event committed while an earlier one is still being delivered is handled without waiting for it', async () => {
    const { t: slowT, admin: slowAdmin } = slowPipeline;
    let release = () => {};
    slowGate = new Promise<void>((resolve) => { release = resolve; });
    const entered = new Promise<void>((resolve) => { slowEntered = resolve; });
    try {
      const [slow] = await writeEvents(slowT.platform, modules, 1, { data: () => ({ firstName: SLOW }) });
      await entered;
      const [fast] = await writeEvents(slowT.platform, modules, 1);

      // Well within RELAY_PUBLISH_TIMEOUT_MS (5 s), after which the slow one would go to the queue anyway.
      await eventually(async () => expect((await effectCounts(slowAdmin, modules.consumer, [fast!.eventId])).size).toBe(1), 3_000, 50);
      expect((await effectCounts(slowAdmin, modules.consumer, [slow!.eventId])).size).toBe(0);

      release();
      const ids = [slow!.eventId, fast!.eventId];
      await eventually(async () => {
        expect([...(await effectCounts(slowAdmin, modules.consumer, ids)).values()]).toEqual([1, 1]);
        expect((await outboxRows(slowAdmin, modules.publisher, ids)).filter((row) => row.published_at === null)).toEqual([]);
      }, TIMEOUT, 50);
    } finally {
      release();
    }
  }, TIMEOUT);
});
