import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SECRETS } from '../src/config/config.js';
import { SINGLETON_LOCK_NAMESPACE } from '../src/db/singleton-work.js';
import { envelopeOf, type OutboxRow } from '../src/events/outbox-row.js';
import { eventually } from '../src/testing/eventually.js';
import { HttpClient } from '../src/testing/http-client.js';
import { provisionTestSite, startProcess, type RunningProcess, type TestSite } from '../src/testing/test-processes.js';
import { expectNoStrayCharges, expectStockConserved, login, newCustomer, newProduct, placeOrder, type Customer } from '../modules/order/testing/shop.js';

/**
 * Two monolith processes on one database and Redis prefix, each with its relays, consumers
 * and saga workers. Singleton work (outbox pruning, dead-letter re-drives) runs on one of
 * them; the leader is killed with SIGKILL under load and the other takes it over, while
 * every event is still handled once and every saga finishes once.
 */
const RETRY_MS = 500;
/** from the kill to the survivor leading every singleton work: its retry interval, plus room for a busy machine */
const TAKEOVER_BOUND_MS = 3_000;
const INSTANCE_ENV = {
  SINGLETON_RETRY_MS: String(RETRY_MS), OUTBOX_PRUNE_MS: '300', DEAD_LETTER_SCAN_MS: '200',
  // Short leases so the survivor picks up what the killed instance held (as in saga-crash.e2e.test.ts).
  SAGA_LEASE_MS: '1500', SAGA_SWEEP_MS: '300', RELAY_LEASE_MS: '1500', CONSUMER_LOCK_MS: '2000', EVENT_BACKOFF_MS: '50',
  DATABASE_POOL_MAX: '3',
};

let site: TestSite;
let admin: pg.Client;
let first: RunningProcess;
let second: RunningProcess;

beforeAll(async () => {
  site = await provisionTestSite();
  admin = new pg.Client({ connectionString: site.databaseUrl });
  await admin.connect();
  // One after the other: the first takes every lock while it starts, so the second begins as a follower.
  first = await startProcess('scripts/start.ts', { ...site.env, ...INSTANCE_ENV });
  second = await startProcess('scripts/start.ts', { ...site.env, ...INSTANCE_ENV });
}, 90_000);
afterAll(async () => {
  await Promise.all([first, second].filter(Boolean).map((process) => process.stop()));
  await admin?.end();
  await site?.close();
});

interface LogLine { msg: string; time: string; work?: string; module?: string; rows?: number }

function logLines(process: RunningProcess): LogLine[] {
  return process.output().split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** The works a process says it leads now (its last word on each), from its log. */
function ledBy(process: RunningProcess): string[] {
  const state = new Map<string, boolean>();
  for (const line of logLines(process)) {
    if (line.msg === 'singleton work: leading') state.set(line.work!, true);
    if (line.msg === 'singleton work: stopped leading') state.set(line.work!, false);
  }
  return [...state].filter(([, leading]) => leading).map(([work]) => work).sort();
}

const said = (process: RunningProcess, msg: string, module: string) => logLines(process).filter((line) => line.msg === msg && line.module === module).length;

/** Our singleton locks in the database, by the application_name of the session holding each. */
/** Holders of singleton locks in this test's database (other runs on the server hold their own). */
async function lockHolders(): Promise<Map<string, number>> {
  const { rows } = await admin.query<{ holder: string; n: number }>(
    `SELECT a.application_name AS holder, count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY 1`, [SINGLETON_LOCK_NAMESPACE]);
  return new Map(rows.map((row) => [row.holder, row.n]));
}
const sessionOf = (process: RunningProcess) => `singleton:monolith:${process.child.pid}`;

/** Makes the user module's published rows look two days old: due for pruning. Returns how many. */
async function agePublishedUserEvents(): Promise<number> {
  const { rowCount } = await admin.query(`UPDATE users.outbox SET published_at = now() - interval '48 hours' WHERE published_at IS NOT NULL`);
  return rowCount ?? 0;
}
const agedLeft = async () => (await admin.query(`SELECT count(*)::int AS n FROM users.outbox WHERE published_at < now() - interval '47 hours'`)).rows[0].n as number;

/** A dead letter due for re-drive, of an event notification already handled: re-driving it changes nothing but its status. */
async function dueDeadLetter(envelope: ReturnType<typeof envelopeOf>): Promise<string> {
  await admin.query(
    `INSERT INTO notifications.dead_letters (event_id, event_type, aggregate_id, correlation_id, envelope, attempts, last_error, status, next_redrive_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, 8, 'made by a test', 'waiting', now())`,
    [envelope.eventId, envelope.eventType, envelope.aggregateId, envelope.metadata.correlationId, JSON.stringify(envelope)]);
  return envelope.eventId;
}
const deadLetterStatus = async (eventId: string) =>
  (await admin.query('SELECT status FROM notifications.dead_letters WHERE event_id = $1', [eventId])).rows[0]?.status as string | undefined;

describe('two monolith instances on one database and Redis', () => {
  let works: string[];

  it('exactly one instance leads each singleton work, and only it prunes and re-drives', async () => {
    works = ledBy(first);
    expect(works).toEqual(expect.arrayContaining(['outbox-prune:user', 'outbox-prune:order', 'outbox-prune:payment', 'dead-letter-redrive:notification']));
    expect(ledBy(second)).toEqual([]);
    // The database agrees: every one of our locks is held by the first instance's lock session.
    expect(await lockHolders()).toEqual(new Map([[sessionOf(first), works.length]]));

    // Pruning: rows made due are deleted, by the leader.
    const http = new HttpClient(second.url);
    await newCustomer(http, []);
    await eventually(async () => expect(await agePublishedUserEvents()).toBeGreaterThan(0), 10_000, 50);
    await eventually(async () => expect(await agedLeft()).toBe(0), 5_000, 50);
    await eventually(() => expect(said(first, 'outbox pruned', 'user')).toBeGreaterThan(0), 2_000, 20);
    expect(said(second, 'outbox pruned', 'user')).toBe(0);
  });

  it('under load through both instances, the leader killed with SIGKILL: the other takes over; every event handled once, every saga finished once', async () => {
    const httpFirst = new HttpClient(first.url);
    const httpSecond = new HttpClient(second.url);
    const adminToken = await login(httpFirst, 'admin@example.com', DEV_SECRETS.ADMIN_PASSWORD);
    const STOCK = 100_000;
    const productId = await newProduct(httpFirst, adminToken, STOCK);
    const customers: Customer[] = await Promise.all([httpFirst, httpSecond, httpFirst, httpSecond].map((http) => newCustomer(http, ['approves', 'declined'])));

    // Handled events whose envelopes stand in for dead letters, one before the kill and one after.
    const { rows: registered } = await admin.query<OutboxRow>(`SELECT * FROM users.outbox WHERE event_type = 'UserRegistered' ORDER BY position DESC LIMIT 2`);
    await eventually(async () => {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM notifications.inbox WHERE event_id = ANY($1::uuid[])', [registered.map((row) => row.event_id)]);
      expect(rows[0].n).toBe(2);
    }, 10_000, 50);
    const [beforeKill, afterKill] = registered.map(envelopeOf);

    const before = await dueDeadLetter(beforeKill!);
    await eventually(async () => expect(await deadLetterStatus(before)).toBe('resolved'), 10_000, 50);
    await eventually(() => expect(said(first, 're-drove dead letters', 'notification')).toBeGreaterThan(0), 2_000, 20);
    expect(said(second, 're-drove dead letters', 'notification')).toBe(0);

    // Load: customers registering and ordering through both instances, until told to stop.
    let firstAlive = true;
    let stopped = false;
    const placed: { id: string; card: 'approves' | 'declined' }[] = [];
    const failures = { beforeKill: 0, afterKill: 0 };
    const loop = async (index: number) => {
      for (let round = 0; !stopped; round++) {
        // While both run, each round registers through one instance and orders through the other.
        const bothAlive = firstAlive;
        const [registerVia, orderVia] = !bothAlive ? [httpSecond, httpSecond] : (index + round) % 2 === 0 ? [httpFirst, httpSecond] : [httpSecond, httpFirst];
        const card = round % 5 === 4 ? 'declined' : 'approves';
        try {
          const email = `inst-${randomUUID()}@example.com`;
          const registration = await registerVia.post('/api/v1/auth/register', { body: { email, password: 'a long enough password' } });
          expect(registration.status).toBe(201);
          const res = await placeOrder(orderVia, customers[index]!, [{ productId, quantity: 1 }], card);
          expect(res.status).toBe(202);
          placed.push({ id: res.body.id, card });
        } catch (error) {
          // A round that involved the instance being killed may fail; one on the survivor alone may not.
          if (!bothAlive) failures.afterKill += 1;
          else failures.beforeKill += 1;
          if (!bothAlive) throw error;
        }
      }
    };
    const loops = customers.map((_, index) => loop(index));
    let placedAtKill = 0;
    let unsettledAtKill = 0;
    let tookOverAfterMs = Number.NaN;
    try {
      await eventually(() => expect(placed.length).toBeGreaterThan(20), 20_000, 50);

      unsettledAtKill = (await admin.query(`SELECT count(*)::int AS n FROM orders.orders WHERE status NOT IN ('CONFIRMED', 'CANCELLED')`)).rows[0].n as number;
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      firstAlive = false;
      await first.stop();
      placedAtKill = placed.length;

      // The survivor leads every singleton work, within the bound, and the database agrees.
      await eventually(() => expect(ledBy(second)).toEqual(works), TAKEOVER_BOUND_MS + 2_000, 20);
      tookOverAfterMs = Math.max(...logLines(second).filter((line) => line.msg === 'singleton work: leading').map((line) => Date.parse(line.time))) - killedAt;
      expect(tookOverAfterMs).toBeLessThan(TAKEOVER_BOUND_MS);
      expect(await lockHolders()).toEqual(new Map([[sessionOf(second), works.length]]));

      // … and does the work: it prunes and re-drives now.
      await eventually(async () => expect(await agePublishedUserEvents()).toBeGreaterThan(0), 10_000, 50);
      await eventually(async () => expect(await agedLeft()).toBe(0), 5_000, 50);
      await eventually(() => expect(said(second, 'outbox pruned', 'user')).toBeGreaterThan(0), 2_000, 20);
      const after = await dueDeadLetter(afterKill!);
      await eventually(async () => expect(await deadLetterStatus(after)).toBe('resolved'), 10_000, 50);
      await eventually(() => expect(said(second, 're-drove dead letters', 'notification')).toBeGreaterThan(0), 2_000, 20);

      await eventually(() => expect(placed.length).toBeGreaterThan(placedAtKill + 10), 20_000, 50);
    } finally {
      stopped = true;
      await Promise.allSettled(loops);
    }
    await Promise.all(loops);
    expect(failures.afterKill, 'requests to the survivor failed').toBe(0);
    expect(failures.beforeKill, 'at most the round in flight at the kill, per loop').toBeLessThanOrEqual(loops.length);
    console.info(`[instances] orders placed ${placed.length} (${placedAtKill} before the kill, ${unsettledAtKill} unsettled at the kill); take-over after ${tookOverAfterMs} ms; ${failures.beforeKill} requests lost with the killed instance`);

    // Every saga finished, once: every order settled as its card says, none charged twice.
    await eventually(async () => {
      const { rows } = await admin.query(`SELECT id FROM orders.sagas WHERE status NOT IN ('COMPLETED', 'COMPENSATED')
        UNION ALL SELECT id FROM payments.sagas WHERE status NOT IN ('COMPLETED', 'COMPENSATED')`);
      expect(rows).toEqual([]);
      const unsettled = await admin.query(`SELECT id, status FROM orders.orders WHERE status NOT IN ('CONFIRMED', 'CANCELLED')`);
      expect(unsettled.rows).toEqual([]);
    }, 30_000, 200);
    const { rows: orders } = await admin.query<{ id: string; status: string }>('SELECT id, status FROM orders.orders WHERE id = ANY($1::uuid[])', [placed.map((order) => order.id)]);
    const statusOf = new Map(orders.map((order) => [order.id, order.status]));
    expect(placed.filter((order) => statusOf.get(order.id) !== (order.card === 'approves' ? 'CONFIRMED' : 'CANCELLED'))).toEqual([]);
    const { rows: endings } = await admin.query(`SELECT order_id, count(*)::int AS n FROM orders.order_events
      WHERE event_type IN ('OrderConfirmed', 'OrderCancelled') GROUP BY order_id HAVING count(*) <> 1`);
    expect(endings, 'an order confirmed or cancelled more than once').toEqual([]);
    const { rows: [charges] } = await admin.query(`SELECT
        (SELECT count(*)::int FROM payments.sandbox_gateway_ledger WHERE operation = 'charge' AND charge_id IS NOT NULL) AS gateway,
        (SELECT count(*)::int FROM payments.payments WHERE charge_id IS NOT NULL) AS payments,
        (SELECT count(*)::int FROM orders.orders WHERE status = 'CONFIRMED') AS confirmed`);
    expect(charges.gateway, 'a charge at the gateway for every captured payment, no more').toBe(charges.payments);
    expect(charges.payments).toBe(charges.confirmed);
    await expectNoStrayCharges(admin);
    await expectStockConserved(admin, new Map([[productId, STOCK]]));

    // Every event handled once: one welcome per registered user, one status notice per settled order.
    await eventually(async () => {
      const { rows: welcomes } = await admin.query(`SELECT u.email, count(n.id)::int AS n FROM users.users u
        LEFT JOIN notifications.notifications n ON n.user_id = u.id AND n.template = 'welcome'
        WHERE u.email LIKE 'inst-%' OR u.email LIKE 'c-%' GROUP BY u.email HAVING count(n.id) <> 1`);
      expect(welcomes, 'users without exactly one welcome message').toEqual([]);
      const { rows: notices } = await admin.query(`SELECT o.id, count(i.event_id)::int AS n FROM orders.orders o
        LEFT JOIN notifications.inbox i ON i.aggregate_id = o.id::text AND i.handler = 'order-status'
        GROUP BY o.id HAVING count(i.event_id) <> 1`);
      expect(notices, 'orders whose final status was not handled exactly once').toEqual([]);
      const { rows: messages } = await admin.query(`SELECT
          (SELECT count(*)::int FROM notifications.notifications WHERE template IN ('order-confirmed', 'order-cancelled')) AS sent,
          (SELECT count(*)::int FROM orders.orders) AS orders`);
      expect(messages[0].sent).toBe(messages[0].orders);
    }, 20_000, 200);
    const { rows: [users] } = await admin.query(`SELECT count(*)::int AS n FROM users.users WHERE email LIKE 'inst-%'`);
    expect(users.n).toBeGreaterThanOrEqual(placed.length);
  }, 120_000);
});
