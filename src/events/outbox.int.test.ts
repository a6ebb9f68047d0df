import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allModules } from '../../modules/registry.js';
import { defineEvent } from './envelope.js';
import { eventually } from '../testing/eventually.js';
import type { TestPlatform } from '../testing/test-platform.js';
import {
  counterModules, effectCounts, effectCountsByAggregate, hostedContainer, outboxRows, registration, startCounterPipeline, writeEvents, type CounterPipeline,
} from '../testing/counter-pipeline.js';

const TIMEOUT = 60_000;
const modules = counterModules(allModules);

let pipeline: CounterPipeline;
let t: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  pipeline = await startCounterPipeline(modules);
  ({ t, admin } = pipeline);
});
afterAll(async () => pipeline?.close());

describe('the transactional outbox', () => {
  it('a rolled-back transaction leaves no event', async () => {
    const container = hostedContainer(t.platform, 'user');
    const { db, outbox } = container.cradle;
    const data = registration();
    await expect(db.transaction(async (trx) => {
      await outbox.append(trx, modules.userRegistered, { aggregateId: data.userId, aggregateVersion: 1, data });
      throw new Error('the business change failed after the event was raised');
    })).rejects.toThrow('the business change failed');

    const { rows } = await admin.query('SELECT 1 FROM users.outbox WHERE aggregate_id = $1', [data.userId]);
    expect(rows).toHaveLength(0);

    // A later committed event is handled, so the relay has had its chance at anything before it.
    const [sentinel] = await writeEvents(t.platform, modules, 1);
    await eventually(async () => expect((await effectCounts(admin, modules.consumer, [sentinel!.eventId])).get(sentinel!.eventId)).toBe(1), TIMEOUT);
    expect((await effectCountsByAggregate(admin, modules.consumer, [data.userId])).size).toBe(0);
    const inbox = await admin.query('SELECT 1 FROM notifications.inbox WHERE aggregate_id = $1', [data.userId]);
    expect(inbox.rows).toHaveLength(0);
  }, TIMEOUT);

  it('a committed event is delivered once, in the relay\'s own process, and marked published', async () => {
    const [event] = await writeEvents(t.platform, modules, 1);
    const id = event!.eventId;
    await eventually(async () => {
      expect((await effectCounts(admin, modules.consumer, [id])).get(id)).toBe(1);
      const [row] = await outboxRows(admin, modules.publisher, [id]);
      expect(row?.published_at).toBeInstanceOf(Date);
    }, TIMEOUT);

    const [row] = await outboxRows(admin, modules.publisher, [id]);
    expect(row).toMatchObject({ attempts: 1, last_error: null, locked_until: null });
    // The consumer runs in this process, so the relay handed the event to it: no job was queued (EVENT_DELIVERY=local-first).
    expect(await t.platform.events.bus.queueFor('notification').getJob(id)).toBeUndefined();
    const inbox = await admin.query('SELECT handler FROM notifications.inbox WHERE event_id = $1', [id]);
    expect(inbox.rows).toEqual([{ handler: 'test-counter' }]);
  }, TIMEOUT);

  it('an event no module consumes is stored already published, and no relay claims it', async () => {
    const Unconsumed = defineEvent('AuditNoted', 1, z.object({ note: z.string() }));
    const { db, outbox } = hostedContainer(t.platform, 'user').cradle;
    const aggregateId = registration().userId;
    const noted = await db.transaction((trx) => outbox.append(trx, Unconsumed, { aggregateId, aggregateVersion: 1, data: { note: 'kept for the record' } }));

    const [row] = await outboxRows(admin, modules.publisher, [noted.eventId]);
    expect(row).toMatchObject({ attempts: 0, locked_until: null });
    expect(row!.published_at).toBeInstanceOf(Date);

    // A consumed event written later is handled, so the relay has claimed since: still never the unconsumed one.
    const [sentinel] = await writeEvents(t.platform, modules, 1);
    await eventually(async () => expect((await effectCounts(admin, modules.consumer, [sentinel!.eventId])).get(sentinel!.eventId)).toBe(1), TIMEOUT);
    const [after] = await outboxRows(admin, modules.publisher, [noted.eventId]);
    expect(after).toMatchObject({ attempts: 0, published_at: row!.published_at });
    const [consumed] = await outboxRows(admin, modules.publisher, [sentinel!.eventId]);
    expect(consumed!.attempts).toBe(1);
  }, TIMEOUT);

  it('an old published row is pruned', async () => {
    // old: published long ago; recent: published now; pending: committed long ago but not yet due for publishing
    const [old, recent, pending] = await writeEvents(t.platform, modules, 3, {
      inTransaction: async (trx, written) => {
        await trx.raw(`UPDATE users.outbox SET next_attempt_at = now() + interval '1 hour' WHERE event_id = ?`, [written[2]!.eventId]);
      },
    });
    const ids = [old!.eventId, recent!.eventId, pending!.eventId];
    await eventually(async () => {
      const rows = await outboxRows(admin, modules.publisher, [old!.eventId, recent!.eventId]);
      expect(rows.map((row) => row.published_at)).toEqual([expect.any(Date), expect.any(Date)]);
    }, TIMEOUT);
    await admin.query(`UPDATE users.outbox SET published_at = now() - interval '25 hours' WHERE event_id = $1`, [old!.eventId]);
    await admin.query(`UPDATE users.outbox SET committed_at = now() - interval '30 days', occurred_at = now() - interval '30 days' WHERE event_id = $1`, [pending!.eventId]);

    const relay = t.platform.events.relays[0]!; // hosted order: the user module first
    expect(await relay.prune()).toBe(1);

    const left = await outboxRows(admin, modules.publisher, ids);
    expect(left.map((row) => row.event_id)).toEqual([recent!.eventId, pending!.eventId]);
    expect(left[0]!.published_at).toBeInstanceOf(Date);
    expect(left[1]).toMatchObject({ published_at: null, attempts: 0 });
    expect(await relay.prune()).toBe(0);
  }, TIMEOUT);
});
