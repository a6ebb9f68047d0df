import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import type { NotificationServices } from './notification-services.js';
import type { RecipientProfile, Recipients } from './recipients.js';

/** The module's copy of its customers, kept from events that may arrive late, twice, or out of order. */
let t: TestPlatform;

beforeAll(async () => { t = await startTestPlatform(allModules, { startEvents: false }); });
afterAll(async () => { await t?.close(); });

const moduleContainer = () => t.platform.modules.find((m) => m.definition.name === 'notification')!.container;

/** As a handler does: in a transaction of the module. */
async function inTransaction<T>(work: (recipients: Recipients, trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const container = moduleContainer();
  return container.cradle.db.transaction((trx) => work(container.resolve<NotificationServices['recipients']>('recipients'), trx));
}

const profile = (userId: string, version: number, changes: Partial<RecipientProfile> = {}): RecipientProfile => ({
  userId, email: 'ada@example.com', firstName: 'Ada', lastName: null, phone: null,
  preferences: { email: true, sms: false, push: false }, version, ...changes,
});

describe('recipients', () => {
  it('keep the newest profile, whatever order the events arrive in', async () => {
    const userId = uuidv7();
    await inTransaction((recipients, trx) => recipients.applyProfile(trx, profile(userId, 3, { phone: '+4915112345678', preferences: { email: false, sms: true, push: false } })));
    // A late registration and an older update change nothing.
    await inTransaction((recipients, trx) => recipients.rememberRegistered(trx, profile(userId, 1)));
    await inTransaction((recipients, trx) => recipients.applyProfile(trx, profile(userId, 2, { firstName: 'Old' })));

    expect(await inTransaction((recipients, trx) => recipients.find(trx, userId))).toEqual({
      userId, email: 'ada@example.com', firstName: 'Ada', phone: '+4915112345678', preferences: { email: false, sms: true, push: false },
    });
  });

  it('take a newer profile over an older one', async () => {
    const userId = uuidv7();
    await inTransaction((recipients, trx) => recipients.rememberRegistered(trx, profile(userId, 1)));
    await inTransaction((recipients, trx) => recipients.applyProfile(trx, profile(userId, 2, { firstName: 'Augusta' })));
    expect(await inTransaction((recipients, trx) => recipients.find(trx, userId))).toMatchObject({ firstName: 'Augusta' });
  });
});
