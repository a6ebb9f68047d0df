import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { createLogger } from '../observability/logger.js';
import { eventually } from '../testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { OutboxRelay } from './outbox-relay.js';
import { PipelineStats } from './pipeline-stats.js';
import { adminClient, counterModules, createEffectsTable, effectCounts, hostedContainer, writeEvents } from '../testing/counter-pipeline.js';

const TIMEOUT = 120_000;
const EVENTS = 1_000;
const BATCH = 25;
const modules = counterModules(allModules);

let t: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  t = await startTestPlatform([modules.publisher, modules.consumer], { startEvents: false, env: { RELAY_BATCH_SIZE: String(BATCH), EVENT_DELIVERY: 'queue' } });
  admin = await adminClient(t.adminDatabaseUrl);
  await createEffectsTable(admin, t.config, modules.consumer);
}, TIMEOUT);

afterAll(async () => {
  await admin?.end();
  await t?.close();
}, TIMEOUT);

/** Another relay for the user module's outbox, as a second process would run it. */
function secondRelay(stats: PipelineStats): OutboxRelay {
  const { db } = hostedContainer(t.platform, 'user').cradle;
  return new OutboxRelay({
    module: 'user', schema: modules.publisher.schema, db, bus: t.platform.events.bus, stats,
    log: createLogger({ level: 'silent', pretty: false }),
    settings: {
      batchSize: BATCH, pollIntervalMs: 100, busyPollMs: 3, leaseMs: t.config.RELAY_LEASE_MS,
      retentionMs: 24 * 3_600_000, pruneIntervalMs: 60_000,
    },
  });
}

const jobTotal = async (): Promise<number> => {
  const counts = await t.platform.events.bus.queueFor('notification')
    .getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
};

describe('competing relays', () => {
  it('two relays at once enqueue each event once per consumer and do not block each other', async () => {
    // What the template's seed left in the outbox goes out first, through a relay that is not counted.
    const warmUp = secondRelay(new PipelineStats());
    while (((await t.platform.events.backlog()).user ?? 0) > 0) await warmUp.drainOnce();
    const jobsBefore = await jobTotal();

    const events = await writeEvents(t.platform, modules, EVENTS, { perTransaction: 250 });
    const ids = events.map((event) => event.eventId);
    expect((await t.platform.events.backlog()).user).toBe(EVENTS);

    const platformRelay = t.platform.events.relays[0]!; // hosted order: the user module first
    const otherStats = new PipelineStats();
    const other = secondRelay(otherStats);
    const drain = async (relay: OutboxRelay) => {
      let published = 0;
      while (((await t.platform.events.backlog()).user ?? 0) > 0) {
        const n = await relay.drainOnce();
        published += n;
        if (n === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      return published;
    };
    const [byPlatform, byOther] = await Promise.all([drain(platformRelay), drain(other)]);

    const platformPublished = t.platform.events.stats.snapshot().user?.published ?? 0;
    const otherPublished = otherStats.snapshot().user?.published ?? 0;
    expect(platformPublished).toBe(byPlatform);
    expect(otherPublished).toBe(byOther);
    expect(platformPublished + otherPublished).toBe(EVENTS);
    expect(platformPublished).toBeGreaterThan(0);
    expect(otherPublished).toBeGreaterThan(0);

    const { rows } = await admin.query<{ n: number; max: number }>(
      'SELECT count(*)::int AS n, max(attempts)::int AS max FROM users.outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NOT NULL', [ids]);
    expect(rows[0]).toEqual({ n: EVENTS, max: 1 });

    // Consumers are not running: every job still waits, one per event.
    expect(await jobTotal()).toBe(jobsBefore + EVENTS);
    const waiting = await t.platform.events.bus.queueFor('notification').getJobs(['waiting'], 0, -1);
    const waitingIds = new Set(waiting.map((job) => job.id));
    expect(ids.filter((id) => !waitingIds.has(id))).toEqual([]);

    await t.platform.start();
    await eventually(async () => expect((await effectCounts(admin, modules.consumer, ids)).size).toBe(EVENTS), 60_000, 200);
    const counts = await effectCounts(admin, modules.consumer, ids);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    const effects = await admin.query('SELECT count(*)::int AS n FROM notifications.effects WHERE event_id = ANY($1::uuid[])', [ids]);
    expect(effects.rows[0].n).toBe(EVENTS);
  }, TIMEOUT);
});
