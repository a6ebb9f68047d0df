import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventData, EventDefinition, EventEnvelope } from '../../src/events/envelope.js';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { OrderCreated, OrderStatusChanged } from '../order/index.js';
import { PaymentProcessed, RefundProcessed } from '../payment/index.js';
import { allModules } from '../registry.js';
import { NotificationChannels } from './channels/notification-channels.js';
import { commerceSubscriptions } from './commerce-handlers.js';
import type { SentNotification } from './contract.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import type { NotificationServices } from './notification-services.js';

/**
 * Order and payment events before those modules exist: the handlers are called as the
 * event consumer calls them, in a transaction of the notification module, with envelopes
 * built from the publishers' own schemas. Without SMTP_URL, email is captured.
 */
let t: TestPlatform;

beforeAll(async () => { t = await startTestPlatform(allModules); });
afterAll(async () => { await t?.close(); });

const notificationModule = () => t.platform.modules.find((m) => m.definition.name === 'notification')!.container;
const PHONE = '+4915112345678';

function envelope<E extends EventDefinition>(event: E, aggregateId: string, data: EventData<E>): EventEnvelope<EventData<E>> {
  return {
    eventId: uuidv7(), eventType: event.type, eventVersion: event.version, aggregateId, aggregateVersion: 1,
    occurredAt: new Date().toISOString(), data: event.schema.parse(data) as EventData<E>, metadata: { correlationId: uuidv7() },
  };
}

/**
 * Delivers an event to one handler as the consumer does: in the module's transaction.
 * `thenFail` stands for another delivery of the same group failing, which rolls it all back.
 */
async function deliver(handler: string, event: EventEnvelope, thenFail = false): Promise<void> {
  const subscription = commerceSubscriptions.find((candidate) => candidate.handler === handler)!;
  const container = notificationModule();
  const { db, log } = container.cradle;
  await db.transaction(async (trx) => {
    await subscription.handle(event, { trx, log, resolve: <T>(name: string) => container.resolve<T>(name) });
    if (thenFail) throw new Error('another delivery in the group failed');
  });
}

async function registerCustomer(): Promise<{ userId: string; email: string; token: string }> {
  const email = `commerce-${uuidv7()}@example.com`;
  const password = 'correct horse battery';
  const created = await t.http.post('/api/v1/auth/register', { body: { email, password, firstName: 'Ada' } });
  const login = await t.http.post('/api/v1/auth/login', { body: { email, password } });
  const customer = { userId: created.body.id as string, email, token: login.body.accessToken as string };
  // Known to this module once its welcome is recorded.
  await eventually(async () => expect(await notificationsOf(customer.token)).toHaveLength(1));
  return customer;
}

async function notificationsOf(token: string, template?: string): Promise<SentNotification[]> {
  const res = await t.http.get<{ items: SentNotification[] }>('/api/v1/notifications', { token });
  return res.body.items.filter((item) => !template || item.template === template);
}

const orderCreated = (customerId: string) => envelope(OrderCreated, uuidv7(), {
  orderId: uuidv7(), customerId, currency: 'EUR', totalCents: 3_450,
  lines: [
    { productId: uuidv7(), sku: 'MUG-BLUE', name: 'Blue mug', quantity: 2, unitPriceCents: 1_250 },
    { productId: uuidv7(), sku: 'TEA-GREEN', name: 'Green tea', quantity: 1, unitPriceCents: 950 },
  ],
});

describe('order and payment notifications', () => {
  it('tells of a received order on the email a customer has by default, once however often the event arrives', async () => {
    const customer = await registerCustomer();
    const event = orderCreated(customer.userId);

    await deliver('order-received', event);
    await deliver('order-received', event);

    const [message, ...others] = await eventually(async () => {
      const items = await notificationsOf(customer.token, 'order-received');
      expect(items).toMatchObject([{ channel: 'email', recipient: customer.email, status: 'sent' }]);
      return items;
    });
    expect(others).toHaveLength(0);
    expect(message!.body).toContain('2 × Blue mug — €25.00');
    expect(message!.body).toContain('1 × Green tea — €9.50');
    expect(message!.body).toContain('Total: €34.50');
  });

  it('sends an SMS and no email to a customer who turned email off and SMS on', async () => {
    const customer = await registerCustomer();
    await t.http.put('/api/v1/users/me/preferences', { token: customer.token, body: { email: false, sms: true, push: false } });
    await t.http.patch('/api/v1/users/me', { token: customer.token, body: { phone: PHONE } });
    const { db } = notificationModule().cradle;
    await eventually(async () => expect(await db('recipients').where({ user_id: customer.userId }).first())
      .toMatchObject({ phone: PHONE, email_enabled: false, sms_enabled: true }));

    const paid = envelope(PaymentProcessed, uuidv7(), {
      paymentId: uuidv7(), orderId: uuidv7(), customerId: customer.userId, amountCents: 3_450, currency: 'EUR', brand: 'visa', last4: '4242',
    });
    await deliver('payment-receipt', paid);
    await deliver('payment-receipt', paid);

    const receipts = await eventually(async () => {
      const items = await notificationsOf(customer.token, 'payment-receipt');
      expect(items).toMatchObject([{ channel: 'sms', recipient: PHONE, status: 'sent' }]);
      return items;
    });
    expect(receipts[0]!.body).toBe('Payment of €34.50 received (Visa ending in 4242).');
  });

  it('tells of a confirmed and of a cancelled order, the reason in plain words, and of no other move', async () => {
    const customer = await registerCustomer();
    const orderId = uuidv7();
    const move = (from: string, to: string, reason?: string) => envelope(OrderStatusChanged, orderId, {
      orderId, customerId: customer.userId, from, to, totalCents: 1_999, currency: 'EUR', ...(reason ? { reason } : {}),
    } as EventData<typeof OrderStatusChanged>);

    await deliver('order-status', move('PENDING', 'RESERVED'));
    await deliver('order-status', move('RESERVED', 'AWAITING_PAYMENT'));
    await deliver('order-status', move('AWAITING_PAYMENT', 'CONFIRMED'));
    await deliver('order-status', move('CONFIRMED', 'CANCELLED', 'out-of-stock'));

    const items = await eventually(async () => {
      const all = (await notificationsOf(customer.token)).filter((item) => item.template !== 'welcome');
      expect(all.map((item) => [item.template, item.status]).sort()).toEqual([['order-cancelled', 'sent'], ['order-confirmed', 'sent']]);
      return all;
    });
    expect(items.find((item) => item.template === 'order-confirmed')!.body).toContain('is confirmed and paid (€19.99)');
    expect(items.find((item) => item.template === 'order-cancelled')!.body).toContain('was cancelled: some items were out of stock.');
  });

  it('tells of a refund', async () => {
    const customer = await registerCustomer();
    await deliver('refund-notice', envelope(RefundProcessed, uuidv7(), {
      refundId: uuidv7(), paymentId: uuidv7(), orderId: uuidv7(), customerId: customer.userId, amountCents: 500, currency: 'EUR', fullyRefunded: false,
    }));
    const [notice] = await eventually(async () => {
      const items = await notificationsOf(customer.token, 'refund-notice');
      expect(items).toMatchObject([{ channel: 'email', status: 'sent' }]);
      return items;
    });
    expect(notice!.body).toContain('we refunded €5.00');
    expect(notice!.body).toContain('partial refund');
  });

  it('sends nothing from a transaction that rolls back, and sends once when the delivery is retried alone', async () => {
    const customer = await registerCustomer();
    const event = orderCreated(customer.userId);

    await expect(deliver('order-received', event, true)).rejects.toThrow('another delivery in the group failed');
    await notificationModule().resolve<NotificationServices['notificationDispatcher']>('notificationDispatcher').settled();
    expect(await notificationsOf(customer.token, 'order-received')).toHaveLength(0);

    await deliver('order-received', event);
    await eventually(async () => expect(await notificationsOf(customer.token, 'order-received')).toMatchObject([{ status: 'sent' }]));
  });

  it('records nothing for a customer this module never heard of', async () => {
    const stranger = uuidv7();
    await deliver('order-received', orderCreated(stranger));
    expect(await notificationModule().cradle.db('notifications').where({ user_id: stranger })).toHaveLength(0);
  });

  it('without SMTP_URL, captures email: stored and marked sent by the capture transport', async () => {
    const customer = await registerCustomer();
    const row = await eventually(async () => {
      const found = await notificationModule().cradle.db('notifications').where({ user_id: customer.userId, template: 'welcome' }).first();
      expect(found).toMatchObject({ status: 'sent', transport: 'capture', attempts: 0 });
      return found;
    });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.body).toContain('Hello Ada');
  });
});

describe('messages left pending by a crash', () => {
  it('are sent by the sweep of a process started later, while a message still in its grace period is left to its recorder', async () => {
    const container = notificationModule();
    const { db, log, config } = container.cradle;
    const userId = uuidv7();
    const row = (id: string, nextAttemptAt: string) => ({
      id, user_id: userId, channel: 'email', recipient: 'left-behind@example.com', template: 'welcome', subject: 's', body: 'b',
      event_id: uuidv7(), status: 'pending', next_attempt_at: db.raw('now() + ?::interval', [nextAttemptAt]),
    });
    const [leftBehind, inGrace] = [uuidv7(), uuidv7()];
    // Given one message recorded before a crash (its grace is over), and one another process is about to send
    await db('notifications').insert([row(leftBehind, '-1 second'), row(inGrace, '1 hour')]);

    // When a new process (a dispatcher of its own, with its own transports) records its first notification
    const restarted = new NotificationDispatcher({
      pendingDeliveries: container.resolve<NotificationServices['pendingDeliveries']>('pendingDeliveries'),
      notificationChannels: new NotificationChannels({ config, log }), log,
    });
    await db.transaction(async (trx) => restarted.dispatchAfterCommit(trx, []));

    // Then its sweep sends the one left behind, and only that one
    await eventually(async () => expect(await db('notifications').where({ id: leftBehind }).first()).toMatchObject({ status: 'sent', attempts: 1 }));
    await restarted.settled();
    expect(await db('notifications').where({ id: inGrace }).first()).toMatchObject({ status: 'pending', attempts: 0 });
    await restarted.stop();
    await db('notifications').where({ id: inGrace }).delete();
  });
});
