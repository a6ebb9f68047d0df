import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { eventually } from '../testing/eventually.js';
import { PrivateRedis } from '../testing/private-redis.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import {
  adminClient, counterModules, createEffectsTable, effectCounts, effectCountsByAggregate, outboxRows, startCounterPipeline, writeEvents,
} from '../testing/counter-pipeline.js';

const TIMEOUT = 120_000;
const modules = counterModules(allModules);

let redis: PrivateRedis;
let t: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  t = await startTestPlatform([modules.publisher, modules.consumer], {
    startEvents: false,
    env: { REDIS_URL: redis.url, RELAY_PUBLISH_TIMEOUT_MS: '500', EVENT_DELIVERY: 'queue' },
  });
  admin = await adminClient(t.adminDatabaseUrl);
  await createEffectsTable(admin, t.config, modules.consumer);
  await t.platform.start();
}, TIMEOUT);

afterAll(async () => {
  await admin?.end();
  // The platform cleans its keys and closes its queues through Redis: give it one.
  if (redis && !redis.running) await redis.start().catch(() => undefined);
  await t?.close();
  await redis?.stop();
}, TIMEOUT);

describe('the pipeline across a Redis outage', () => {
  it('events written while Redis is down are all delivered once it is back', async () => {
    const first = await writeEvents(t.platform, modules, 10);
    const firstIds = first.map((event) => event.eventId);
    await eventually(async () => expect((await effectCounts(admin, modules.consumer, firstIds)).size).toBe(10), 30_000);

    await redis.stop();
    expect(await redis.answers()).toBe(false);

    // Registration needs PostgreSQL only: the event waits in the outbox.
    const userIds: string[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => t.http.post<{ id: string }>('/api/v1/auth/register', {
        body: { email: `outage-${wave}-${i}-${Date.now()}@example.com`, password: 'correct horse battery', firstName: 'Outage' },
      })));
      for (const response of responses) {
        expect(response.status).toBe(201);
        userIds.push(response.body.id);
      }
    }
    const { rows: pending } = await admin.query<{ event_id: string }>(
      'SELECT event_id FROM users.outbox WHERE aggregate_id = ANY($1::text[]) ORDER BY position', [userIds]);
    expect(pending).toHaveLength(50);
    const pendingIds = pending.map((row) => row.event_id);

    // The relay keeps trying and says why in the row.
    await eventually(async () => {
      const rows = await outboxRows(admin, modules.publisher, pendingIds);
      expect(rows.some((row) => row.last_error !== null && row.attempts >= 1)).toBe(true);
    }, 30_000);
    await eventually(async () => {
      const rows = await outboxRows(admin, modules.publisher, pendingIds);
      expect(rows.filter((row) => row.last_error === null || row.attempts < 1)).toEqual([]);
    }, 30_000);
    const during = await outboxRows(admin, modules.publisher, pendingIds);
    expect(during.every((row) => row.published_at === null)).toBe(true);
    expect(during.find((row) => row.last_error !== null)?.last_error).toMatch(/Redis is not reachable|enqueue took over 500 ms|Connection|ECONNREFUSED/i);
    expect((await t.platform.events.backlog()).user).toBeGreaterThanOrEqual(50);
    expect(t.platform.events.stats.snapshot().user?.publishFailures ?? 0).toBeGreaterThan(0);
    expect((await effectCountsByAggregate(admin, modules.consumer, userIds)).size).toBe(0);

    await redis.start();

    // Queues and workers reconnect by themselves; the backlog drains and every event has one effect.
    await eventually(async () => {
      expect(await t.platform.events.backlog()).toEqual({ user: 0, notification: 0 });
      expect((await effectCounts(admin, modules.consumer, [...firstIds, ...pendingIds])).size).toBe(60);
    }, 30_000, 200);
    const queue = t.platform.events.bus.queueFor('notification');
    await eventually(async () => {
      const states = await Promise.all(pendingIds.map((id) => queue.getJobState(id)));
      expect(states.filter((state) => state !== 'completed')).toEqual([]);
    }, 30_000, 200);
    const counts = await effectCounts(admin, modules.consumer, [...firstIds, ...pendingIds]);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const after = await outboxRows(admin, modules.publisher, pendingIds);
    expect(after.every((row) => row.published_at !== null && row.last_error === null)).toBe(true);
  }, TIMEOUT);

  it('with local-first delivery, a consumer in the relay\'s own process goes on receiving events while Redis is down', async () => {
    const local = await startCounterPipeline(modules, { REDIS_URL: redis.url, RELAY_PUBLISH_TIMEOUT_MS: '500', EVENT_DELIVERY: 'local-first' });
    try {
      await redis.stop();
      const ids = (await writeEvents(local.t.platform, modules, 10)).map((event) => event.eventId);
      await eventually(async () => {
        expect([...(await effectCounts(local.admin, modules.consumer, ids)).values()]).toEqual(Array(10).fill(1));
        const rows = await outboxRows(local.admin, modules.publisher, ids);
        expect(rows.filter((row) => row.published_at === null)).toEqual([]);
      }, 30_000, 100);
    } finally {
      if (!redis.running) await redis.start();
      await local.close();
    }
  }, TIMEOUT);
});
