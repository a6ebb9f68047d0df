/**
 * Test-only kit for the payment module's integration tests: hosts the system with the
 * payment module, hands PaymentRequested to it as the order module would, and reads the
 * schema below the API. Not imported by production code.
 */
import pg from 'pg';
import { newId } from '../../../src/db/new-id.js';
import type { ModuleDefinition } from '../../../src/app/module-definition.js';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import { startTestPlatform, type TestPlatform, type TestPlatformOptions } from '../../../src/testing/test-platform.js';
import { PaymentRequested, paymentModule } from '../index.js';
import type { PaymentRequest } from '../payment-requests.js';
import type { PaymentServices } from '../payment-services.js';

export interface PaymentTestPlatform extends TestPlatform {
  /** superuser pool on this file's database */
  sql: pg.Pool;
  services: PaymentServices & { db: import('knex').Knex };
  close(): Promise<void>;
}

/**
 * Hosts `registry` with events and sagas held until the test has set up what it needs,
 * plus a superuser pool on this file's database.
 * @example const t = await startPaymentPlatform(allModules)
 */
export async function startPaymentPlatform(registry: readonly ModuleDefinition[], options: TestPlatformOptions = {}): Promise<PaymentTestPlatform> {
  const startEvents = options.startEvents ?? true;
  const t = await startTestPlatform(registry, { ...options, startEvents: false });
  if (startEvents) await t.platform.start();
  const sql = new pg.Pool({ connectionString: t.adminDatabaseUrl, max: 3 });
  const hosted = t.platform.modules.find((module) => module.definition.name === 'payment')!;
  return {
    ...t, sql,
    services: hosted.container.cradle as unknown as PaymentTestPlatform['services'],
    async close() {
      await sql.end();
      await t.close();
    },
  };
}

/** A PaymentRequested envelope as the order module's outbox would write it. */
export function paymentRequested(data: PaymentRequest, eventId = newId()): EventEnvelope<PaymentRequest> {
  return {
    eventId, eventType: PaymentRequested.type, eventVersion: PaymentRequested.version,
    aggregateId: data.orderId, aggregateVersion: 1, occurredAt: new Date().toISOString(), data,
    metadata: { correlationId: `test-${eventId}` },
  };
}

/** Hands a request straight to the module's subscription in a transaction of its own (no inbox): the handler's own guarantees only. */
export async function handOver(t: PaymentTestPlatform, envelope: EventEnvelope<PaymentRequest>): Promise<void> {
  const subscription = paymentModule.subscriptions!.find((candidate) => candidate.event.type === PaymentRequested.type)!;
  const hosted = t.platform.modules.find((module) => module.definition.name === 'payment')!;
  await t.services.db.transaction((trx) => subscription.handle(envelope, {
    trx, log: hosted.container.cradle.log, resolve: <T>(name: string): T => hosted.container.resolve<T>(name),
  }));
}

export interface Customer {
  id: string;
  email: string;
  token: string;
}

let sequence = 0;

export async function newCustomer(t: TestPlatform): Promise<Customer> {
  const email = `payer${++sequence}-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const registered = await t.http.post('/api/v1/auth/register', { body: { email, password } });
  const login = await t.http.post('/api/v1/auth/login', { body: { email, password } });
  if (registered.status !== 201 || login.status !== 200) throw new Error(`could not register ${email}: ${registered.status}/${login.status}`);
  return { id: registered.body.id as string, email, token: login.body.accessToken as string };
}

export async function adminToken(t: TestPlatform): Promise<string> {
  const login = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
  return login.body.accessToken as string;
}

export async function addCard(t: TestPlatform, customer: Customer, cardNumber = '4242424242424242'): Promise<string> {
  const res = await t.http.post('/api/v1/payment-methods', { token: customer.token, body: { cardNumber, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } });
  if (res.status !== 201) throw new Error(`could not add a card: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

export async function paymentOf(t: PaymentTestPlatform, orderId: string): Promise<Record<string, any> | undefined> {
  return (await t.sql.query('SELECT * FROM payments.payments WHERE order_id = $1', [orderId])).rows[0];
}

export async function outboxOf(t: PaymentTestPlatform, aggregateId: string): Promise<{ event_type: string; data: Record<string, any> }[]> {
  return (await t.sql.query('SELECT event_type, data FROM payments.outbox WHERE aggregate_id = $1 ORDER BY position', [aggregateId])).rows;
}

/** Approved charges the sandbox gateway made for a payment: the "charged at most once" count. */
export async function chargesAtGateway(t: PaymentTestPlatform, paymentId: string): Promise<{ attempts: number; approved: number }> {
  const { rows } = await t.sql.query(
    `SELECT coalesce(sum(attempts), 0)::int AS attempts, count(*) FILTER (WHERE answer->>'status' = 'approved')::int AS approved
       FROM payments.sandbox_gateway_ledger WHERE operation = 'charge' AND idempotency_key = $1`, [`charge:${paymentId}`]);
  return rows[0];
}
