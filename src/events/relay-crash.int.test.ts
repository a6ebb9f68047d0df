import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { eventually } from '../testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { adminClient, counterModules, createEffectsTable, effectCounts, outboxRows, writeEvents } from '../testing/counter-pipeline.js';

const TIMEOUT = 60_000;
const N = 20;
const modules = counterModules(allModules);

let t: TestPlatform;
let admin: pg.Client;
/** armed: the next batch the relay enqueues "crashes" before its rows are marked */
let crashArmed = false;
const crashedBatches: number[] = [];

beforeAll(async () => {
  t = await startTestPlatform([modules.publisher, modules.consumer], {
    startEvents: false,
    env: { RELAY_LEASE_MS: '1000', EVENT_DELIVERY: 'queue' },
    afterEnqueue: async (events) => {
      if (!crashArmed) return;
      crashArmed = false;
      crashedBatches.push(events);
      throw new Error('simulated relay crash between enqueue and marking');
    },
  });
  admin = await adminClient(t.adminDatabaseUrl);
  await createEffectsTable(admin, t.config, modules.consumer);
  await t.platform.start();
  // What the template's seed left in the outbox goes first, so the crash hits our batch.
  await eventually(async () => expect(await t.platform.events.backlog()).toEqual({ user: 0, notification: 0 }), TIMEOUT);
  await eventually(async () => expect((await t.platform.events.bus.queueFor('notification').getJobCounts('completed')).completed).toBeGreaterThan(0), TIMEOUT);
});

afterAll(async () => {
  await admin?.end();
  await t?.close();
});

describe('a relay that crashes after enqueueing', () => {
  it('a relay that dies between enqueue and marking delivers again, and the handler\'s effect happens once', async () => {
    const before = { ...t.platform.events.stats.snapshot().notification! };
    crashArmed = true;
    const events = await writeEvents(t.platform, modules, N);
    const ids = events.map((event) => event.eventId);

    await eventually(async () => {
      const rows = await outboxRows(admin, modules.publisher, ids);
      expect(rows.filter((row) => row.published_at !== null)).toHaveLength(N);
      expect((await effectCounts(admin, modules.consumer, ids)).size).toBe(N);
    }, TIMEOUT);

    // One batch crashed, and all of it went out again after its lease ran out.
    expect(crashedBatches).toEqual([N]);
    const rows = await outboxRows(admin, modules.publisher, ids);
    expect(rows.every((row) => row.attempts >= 2)).toBe(true);
    expect(rows.every((row) => row.last_error === null && row.locked_until === null)).toBe(true);

    // Every job settles, and only then the counts are final.
    const queue = t.platform.events.bus.queueFor('notification');
    await eventually(async () => {
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
      expect(states.every((state) => state === 'completed')).toBe(true);
    }, TIMEOUT);
    const counts = await effectCounts(admin, modules.consumer, ids);
    expect([...counts.values()]).toEqual(Array.from({ length: N }, () => 1));
    const effects = await admin.query('SELECT count(*)::int AS n FROM notifications.effects WHERE event_id = ANY($1::uuid[])', [ids]);
    expect(effects.rows[0].n).toBe(N);

    // The second enqueue either added nothing (the job id is the event id) or was skipped by the inbox.
    const after = t.platform.events.stats.snapshot().notification!;
    const skipped = after.duplicatesSkipped - before.duplicatesSkipped;
    const deduplicatedByJobId = N - skipped;
    expect(skipped).toBeGreaterThanOrEqual(0);
    expect(deduplicatedByJobId + skipped).toBe(N);
    expect(deduplicatedByJobId).toBeGreaterThanOrEqual(0);
    const inbox = await admin.query('SELECT count(*)::int AS n FROM notifications.inbox WHERE event_id = ANY($1::uuid[])', [ids]);
    expect(inbox.rows[0].n).toBe(N);
    expect(after.deadLettered - before.deadLettered).toBe(0);
  }, TIMEOUT);

  it('an event delivered again after its job is gone is skipped by the inbox and counted as a duplicate, not as handled', async () => {
    const [event] = await writeEvents(t.platform, modules, 1);
    const id = event!.eventId;
    const queue = t.platform.events.bus.queueFor('notification');
    await eventually(async () => expect(await queue.getJobState(id)).toBe('completed'), TIMEOUT);
    expect((await effectCounts(admin, modules.consumer, [id])).get(id)).toBe(1);

    // The completed job is gone (removeOnComplete), and a relay publishes the event again.
    const before = { ...t.platform.events.stats.snapshot().notification! };
    await queue.remove(id);
    await t.platform.events.bus.publish([event!]);
    await eventually(async () => expect(t.platform.events.stats.snapshot().notification!.duplicatesSkipped).toBe(before.duplicatesSkipped + 1), TIMEOUT);
    await eventually(async () => expect(await queue.getJobState(id)).toBe('completed'), TIMEOUT);

    expect((await effectCounts(admin, modules.consumer, [id])).get(id)).toBe(1);
    // A skipped duplicate applied nothing: it must not also count as handled.
    expect(t.platform.events.stats.snapshot().notification!.handled).toBe(before.handled);
  }, TIMEOUT);
});
