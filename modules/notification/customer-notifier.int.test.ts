import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from '../../src/db/module-database.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import type { Notice } from './customer-notifier.js';
import type { NotificationServices } from './notification-services.js';
import { Recipients, type RecipientProfile } from './recipients.js';

/**
 * The notifier composes from the copy of a recipient it read last, and records only while
 * the row is still at that copy's version: these tests change the row behind its back, as
 * another process applying a profile event would.
 */
let t: TestPlatform;
let admin: pg.Client;
let db: Knex;
let services: NotificationServices;
const log = createLogger({ level: 'silent', pretty: false });

beforeAll(async () => {
  t = await startTestPlatform(allModules, { startEvents: false });
  admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
  const container = t.platform.modules.find((m) => m.definition.name === 'notification')!.container;
  db = container.cradle.db;
  services = container.cradle as unknown as NotificationServices;
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
});

const profile = (userId: string, version: number, changes: Partial<RecipientProfile> = {}): RecipientProfile => ({
  userId, email: 'ada@example.com', firstName: 'Ada', lastName: null, phone: null,
  preferences: { email: true, sms: false, push: false }, version, ...changes,
});

/** A notice whose subject names the recipient, so the test sees which copy composed it. */
const notice = (userId: string): Notice => ({
  eventId: uuidv7(), userId, template: 'test-greeting',
  compose: (recipient) => ({ subject: `Hello ${recipient.firstName}`, body: `to ${recipient.email}`, short: 'hello' }),
});

const notify = (n: Notice) => db.transaction((trx) => services.customerNotifier.notify(trx, n, log));
const messagesOf = async (eventId: string) =>
  (await admin.query('SELECT channel, recipient, subject FROM notifications.notifications WHERE event_id = $1 ORDER BY channel', [eventId])).rows;

describe('notifying a customer', () => {
  it('composes from the row as it is now when another process changed the profile since the last read', async () => {
    const userId = uuidv7();
    await db.transaction((trx) => services.recipients.rememberRegistered(trx, profile(userId, 1)));
    const first = notice(userId);
    expect(await notify(first)).toBe(1);
    expect(await messagesOf(first.eventId)).toEqual([{ channel: 'email', recipient: 'ada@example.com', subject: 'Hello Ada' }]);

    // Another process (its own Recipients) applies a newer profile: new name, new address, SMS on.
    const elsewhere = new Recipients();
    await db.transaction((trx) => elsewhere.applyProfile(trx, profile(userId, 2, {
      firstName: 'Grace', email: 'grace@example.com', phone: '+4915112345678', preferences: { email: true, sms: true, push: false },
    })));
    const second = notice(userId);
    expect(await notify(second)).toBe(2);
    expect(await messagesOf(second.eventId)).toEqual([
      { channel: 'email', recipient: 'grace@example.com', subject: 'Hello Grace' },
      { channel: 'sms', recipient: '+4915112345678', subject: 'Hello Grace' },
    ]);
  });

  it('sends nothing once the customer turned every channel off elsewhere', async () => {
    const userId = uuidv7();
    await db.transaction((trx) => services.recipients.rememberRegistered(trx, profile(userId, 1)));
    expect(await notify(notice(userId))).toBe(1);
    await db.transaction((trx) => new Recipients().applyProfile(trx, profile(userId, 2, { preferences: { email: false, sms: false, push: false } })));
    const muted = notice(userId);
    expect(await notify(muted)).toBe(0);
    expect(await messagesOf(muted.eventId)).toEqual([]);
  });

  it('records an event once, however often it is redelivered', async () => {
    const userId = uuidv7();
    await db.transaction((trx) => services.recipients.rememberRegistered(trx, profile(userId, 1)));
    const once = notice(userId);
    expect(await notify(once)).toBe(1);
    expect(await notify(once)).toBe(0);
    expect(await messagesOf(once.eventId)).toHaveLength(1);
  });
});
