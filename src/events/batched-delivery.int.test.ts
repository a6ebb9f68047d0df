import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { eventually } from '../testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { adminClient, counterModules, createEffectsTable, effectCounts, writeEvents } from '../testing/counter-pipeline.js';

const POISON = 'poison-in-batch';
const modules = counterModules(allModules, (event) => {
  if (event.data.firstName === POISON) throw new Error('this one event cannot be applied');
});

let t: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  // One transaction at a time makes deliveries that arrive together share it.
  t = await startTestPlatform([modules.publisher, modules.consumer], {
    startEvents: false, env: { CONSUMER_TRANSACTIONS: '1', CONSUMER_BATCH_SIZE: '50', EVENT_ATTEMPTS: '2', EVENT_BACKOFF_MS: '10', DEAD_LETTER_REDRIVES: '0' },
  });
  admin = await adminClient(t.adminDatabaseUrl);
  await createEffectsTable(admin, t.config, modules.consumer);
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
});

describe('deliveries that share a transaction', () => {
  it('a poison event among 200 fails alone: every other event takes effect exactly once', async () => {
    const events = await writeEvents(t.platform, modules, 200, { data: (index) => (index === 77 ? { firstName: POISON } : {}) });
    await t.platform.start();
    const poison = events[77]!.eventId;
    const healthy = events.filter((event) => event.eventId !== poison).map((event) => event.eventId);

    await eventually(async () => {
      const counts = await effectCounts(admin, modules.consumer, healthy);
      expect(counts.size).toBe(199);
    }, 30_000);
    const counts = await effectCounts(admin, modules.consumer, healthy);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    // What an operator sees in /admin/events/stats: far fewer commits than deliveries.
    const stats = t.platform.events.stats.snapshot()[modules.consumer.name]!;
    expect(stats.handled).toBeGreaterThanOrEqual(199);
    expect(stats.transactions).toBeLessThan(stats.handled / 2);

    await eventually(async () => {
      const letters = await t.platform.events.listDeadLetters({ limit: 10 });
      expect(letters.map((letter) => letter.eventId)).toEqual([poison]);
    }, 30_000);
    expect((await effectCounts(admin, modules.consumer, [poison])).size).toBe(0);
  }, 60_000);
});
