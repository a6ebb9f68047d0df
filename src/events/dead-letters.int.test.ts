import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { eventually } from '../testing/eventually.js';
import type { TestPlatform } from '../testing/test-platform.js';
import type { EventEnvelope } from './envelope.js';
import {
  counterModules, COUNTER_HANDLER, effectCounts, effectCountsByAggregate, startCounterPipeline, writeEvents, type CounterPipeline, type UserRegisteredData,
} from '../testing/counter-pipeline.js';

const TIMEOUT = 60_000;
const POISON = 'poison';
const ALWAYS_FAILS = 'always-fails';
const POISON_ERROR = 'the welcome template is broken';
/** Two attempts, then up to two automatic re-drives 100 ms apart. */
const REDRIVE_QUICKLY = { EVENT_ATTEMPTS: '2', EVENT_BACKOFF_MS: '10', DEAD_LETTER_REDRIVES: '2', DEAD_LETTER_REDRIVE_DELAY_MS: '100', DEAD_LETTER_SCAN_MS: '100' };

/** While true, events for a user named POISON fail in the handler. */
let broken = true;
const modules = counterModules(allModules, (event) => {
  if (event.data.firstName === POISON && broken) throw new Error(POISON_ERROR);
  if (event.data.firstName === ALWAYS_FAILS) throw new Error('this handler never succeeds');
});


describe('dead letters parked for an operator', () => {
  let pipeline: CounterPipeline;
  let t: TestPlatform;
  let admin: pg.Client;

  beforeAll(async () => {
    pipeline = await startCounterPipeline(modules, { EVENT_ATTEMPTS: '2', EVENT_BACKOFF_MS: '10', DEAD_LETTER_REDRIVES: '0' });
    ({ t, admin } = pipeline);
  });
  afterAll(async () => pipeline?.close());

  it('a poison event goes to the dead-letter set and is replayed after a fix', async () => {
    const [event] = await writeEvents(t.platform, modules, 1, { data: () => ({ firstName: POISON }) });
    const id = event!.eventId;

    const [letter] = await eventually(async () => {
      const letters = (await t.platform.events.listDeadLetters({ limit: 10 })).filter((entry) => entry.eventId === id);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ module: 'notification', eventType: 'UserRegistered', status: 'parked', redriveCount: 0, nextRedriveAt: null });
      return letters;
    }, TIMEOUT);
    expect(letter!.attempts).toBeGreaterThanOrEqual(2);
    expect(letter!.lastError).toContain(POISON_ERROR);
    expect(letter!.envelope.eventId).toBe(id);
    const queue = t.platform.events.bus.queueFor('notification');
    expect(await queue.getJobState(id)).toBe('failed');
    expect((await effectCounts(admin, modules.consumer, [id])).size).toBe(0);
    // Parked means parked: the automatic re-drive leaves it alone.
    await t.platform.events.redriveOnce();
    expect((await t.platform.events.listDeadLetters({ status: 'parked', limit: 10 })).map((entry) => entry.eventId)).toContain(id);

    broken = false;
    const login = await t.http.post<{ accessToken: string }>('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
    expect(login.status).toBe(200);
    const replay = await t.http.post<{ count: number; replayed: { module: string; eventIds: string[] }[] }>('/admin/events/dead-letters/replay', {
      token: login.body.accessToken, body: { eventIds: [id] },
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ count: 1, replayed: [{ module: 'notification', eventIds: [id] }] });

    await eventually(async () => expect((await effectCounts(admin, modules.consumer, [id])).get(id)).toBe(1), TIMEOUT);
    await eventually(async () => {
      await t.platform.events.redriveOnce();
      const [entry] = (await t.platform.events.listDeadLetters({ limit: 10 })).filter((candidate) => candidate.eventId === id);
      expect(entry).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String) });
    }, TIMEOUT);
    expect(await queue.getJobState(id)).toBe('completed');
    expect((await effectCounts(admin, modules.consumer, [id])).get(id)).toBe(1);
  }, TIMEOUT);

  it('an event failing its schema is not retried', async () => {
    const eventId = uuidv7();
    const aggregateId = uuidv7();
    const envelopeWithBadData: EventEnvelope<Omit<UserRegisteredData, 'userId'>> = {
      eventId, eventType: 'UserRegistered', eventVersion: 1, aggregateId, aggregateVersion: 1, occurredAt: new Date().toISOString(),
      data: { email: `bad-${eventId}@example.com`, role: 'customer', firstName: null, lastName: null },
      metadata: { correlationId: uuidv7() },
    };
    const queue = t.platform.events.bus.queueFor('notification');
    await queue.add('UserRegistered', envelopeWithBadData, { jobId: eventId, attempts: 5, backoff: { type: 'fixed', delay: 10 } });

    const [letter] = await eventually(async () => {
      const letters = (await t.platform.events.listDeadLetters({ limit: 50 })).filter((entry) => entry.eventId === eventId);
      expect(letters).toHaveLength(1);
      return letters;
    }, TIMEOUT);
    expect(letter).toMatchObject({ status: 'parked', attempts: 1, aggregateId });
    expect(letter!.lastError).toMatch(/fails its schema/);
    expect(letter!.lastError).toMatch(/userId/);
    const job = await queue.getJob(eventId);
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    expect((await effectCountsByAggregate(admin, modules.consumer, [aggregateId])).size).toBe(0);
    const inbox = await admin.query('SELECT 1 FROM notifications.inbox WHERE event_id = $1', [eventId]);
    expect(inbox.rows).toHaveLength(0);
  }, TIMEOUT);

  it('an operator finds every event and delivery for a business key', async () => {
    const requestId = `trace-${uuidv7()}`;
    const registered = await t.http.post<{ id: string }>('/api/v1/auth/register', {
      body: { email: `${requestId}@example.com`, password: 'correct horse battery', firstName: 'Ada' },
      headers: { 'x-request-id': requestId },
    });
    expect(registered.status).toBe(201);
    const userId = registered.body.id;
    await eventually(async () => expect((await effectCountsByAggregate(admin, modules.consumer, [userId])).size).toBe(1), TIMEOUT);

    for (const key of [userId, requestId]) {
      const trail = await t.platform.events.trace(key);
      expect(trail.events).toHaveLength(1);
      const [event] = trail.events;
      expect(event).toMatchObject({
        module: 'user', eventType: 'UserRegistered', aggregateId: userId, correlationId: requestId, publishedAt: expect.any(String),
        data: expect.objectContaining({ userId }),
      });
      expect(trail.deliveries).toEqual([expect.objectContaining({ module: 'notification', handler: COUNTER_HANDLER, eventId: event!.eventId, eventType: 'UserRegistered' })]);
      expect(trail.deadLetters).toEqual([]);
    }

    // A delivery that failed shows up as the event and its dead letter, found by the correlation id.
    const failingCorrelation = `trace-failing-${uuidv7()}`;
    const [failing] = await writeEvents(t.platform, modules, 1, { data: () => ({ firstName: ALWAYS_FAILS }), metadata: { correlationId: failingCorrelation } });
    await eventually(async () => expect((await t.platform.events.listDeadLetters({ status: 'parked', limit: 50 })).map((entry) => entry.eventId)).toContain(failing!.eventId), TIMEOUT);
    const trail = await t.platform.events.trace(failingCorrelation);
    expect(trail.events.map((event) => event.eventId)).toEqual([failing!.eventId]);
    expect(trail.deliveries).toEqual([]);
    expect(trail.deadLetters).toEqual([expect.objectContaining({ module: 'notification', eventId: failing!.eventId, status: 'parked' })]);
  }, TIMEOUT);
});

describe('automatic re-drives', () => {
  let pipeline: CounterPipeline;
  let t: TestPlatform;
  let admin: pg.Client;

  beforeAll(async () => {
    pipeline = await startCounterPipeline(modules, REDRIVE_QUICKLY);
    ({ t, admin } = pipeline);
  });
  afterAll(async () => pipeline?.close());

  it('dead letters are re-driven automatically a bounded number of times', async () => {
    const [event] = await writeEvents(t.platform, modules, 1, { data: () => ({ firstName: ALWAYS_FAILS }) });
    const id = event!.eventId;
    const letter = await eventually(async () => {
      const [entry] = (await t.platform.events.listDeadLetters({ limit: 10 })).filter((candidate) => candidate.eventId === id);
      expect(entry).toMatchObject({ status: 'parked', redriveCount: 2 });
      return entry!;
    }, TIMEOUT, 100);
    // Three rounds of two attempts each: the first delivery and two re-drives.
    expect(letter.attempts).toBe(6);
    expect(letter.nextRedriveAt).toBeNull();
    expect(letter.lastError).toContain('this handler never succeeds');

    // It stays parked: no further automatic re-drive.
    const queue = t.platform.events.bus.queueFor('notification');
    await eventually(async () => expect(await queue.getJobState(id)).toBe('failed'), TIMEOUT);
    for (let i = 0; i < 3; i++) await t.platform.events.redriveOnce();
    const [still] = (await t.platform.events.listDeadLetters({ limit: 10 })).filter((candidate) => candidate.eventId === id);
    expect(still).toMatchObject({ status: 'parked', redriveCount: 2, attempts: 6 });
    expect(t.platform.events.stats.snapshot().notification?.deadLettered).toBe(3);
    expect((await effectCounts(admin, modules.consumer, [id])).size).toBe(0);
  }, TIMEOUT);
});

describe('a re-drive that cannot reach the queue', () => {
  const FLAKY = 'flaky';
  let pipeline: CounterPipeline;
  let t: TestPlatform;
  let admin: pg.Client;
  let flakyBroken = true;
  const flaky = counterModules(allModules, (event) => {
    if (event.data.firstName === FLAKY && flakyBroken) throw new Error('the mail relay is down');
  });

  beforeAll(async () => {
    pipeline = await startCounterPipeline(flaky, REDRIVE_QUICKLY);
    ({ t, admin } = pipeline);
  });
  afterAll(async () => pipeline?.close());

  it('is not lost: the dead letter is re-driven again later (or can be replayed) instead of staying "redriving"', async () => {
    // The first re-drive fails to enqueue, as it would when Redis answers with an error.
    const bus = t.platform.events.bus;
    const redeliver = bus.redeliver.bind(bus);
    let enqueueFailures = 0;
    bus.redeliver = async (moduleName, envelope) => {
      if (enqueueFailures === 0) {
        enqueueFailures += 1;
        flakyBroken = false; // the handler is fixed by the time the next re-drive comes
        throw new Error('Connection is closed.');
      }
      return redeliver(moduleName, envelope);
    };

    const [event] = await writeEvents(t.platform, flaky, 1, { data: () => ({ firstName: FLAKY }) });
    const id = event!.eventId;
    await eventually(() => expect(enqueueFailures).toBe(1), TIMEOUT);

    // Whatever recovers it (the next automatic re-drive, or an operator's replay), the event gets its one effect.
    await eventually(async () => {
      await t.platform.events.replayDeadLetters({ eventIds: [id] });
      const [entry] = (await t.platform.events.listDeadLetters({ limit: 10 })).filter((candidate) => candidate.eventId === id);
      expect(entry?.status).toBe('resolved');
      expect((await effectCounts(admin, flaky.consumer, [id])).get(id)).toBe(1);
    }, 15_000, 200);
  }, TIMEOUT);
});
