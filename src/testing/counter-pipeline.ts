/**
 * Test-only kit for the event pipeline's integration tests: a publisher (the real user
 * module), a consumer (the real notification module's schema and inbox, with one counting
 * subscription instead of its own) and a table of effects WITHOUT a unique key, so a
 * handler that ran twice for one event shows up as two rows.
 *
 * A kernel file may not import modules: the tests pass the registry's modules in.
 */
import pg from 'pg';
import { newId } from '../db/new-id.js';
import type { Knex } from 'knex';
import type { ModuleDefinition } from '../app/module-definition.js';
import type { Platform } from '../app/platform.js';
import type { Config } from '../config/config.js';
import { schemaOwner } from '../db/module-role.js';
import { startTestPlatform, type TestPlatform } from './test-platform.js';
import type { EventDefinition, EventEnvelope, EventMetadata } from '../events/envelope.js';
import { subscribe } from '../events/subscription.js';

export const COUNTER_HANDLER = 'test-counter';

export interface UserRegisteredData {
  userId: string;
  email: string;
  role: 'customer' | 'admin';
  firstName: string | null;
  lastName: string | null;
}

export interface CounterModules {
  /** the registry's user module: writes UserRegistered through its outbox */
  publisher: ModuleDefinition;
  /** runs in the notification module's schema with its inbox, but with only the counting subscription */
  consumer: ModuleDefinition;
  userRegistered: EventDefinition;
}

/**
 * Builds the two hosted modules. `before` runs inside the handler's transaction before
 * the effect is recorded; throw from it to make a delivery fail.
 */
export function counterModules(
  registry: readonly ModuleDefinition[],
  before?: (event: EventEnvelope<UserRegisteredData>) => void | Promise<void>,
): CounterModules {
  const publisher = registry.find((module) => module.name === 'user');
  const notification = registry.find((module) => module.name === 'notification');
  if (!publisher || !notification) throw new Error('the registry has no user or notification module');
  const userRegistered = publisher.publishes.find((event) => event.type === 'UserRegistered');
  if (!userRegistered) throw new Error('the user module does not publish UserRegistered');
  const table = `"${notification.schema}".effects`;
  const consumer: ModuleDefinition = {
    ...notification,
    subscriptions: [
      subscribe(userRegistered, COUNTER_HANDLER, async (event, { trx }) => {
        await before?.(event as EventEnvelope<UserRegisteredData>);
        await trx.raw(`INSERT INTO ${table} (event_id, aggregate_id) VALUES (?, ?)`, [event.eventId, event.aggregateId]);
      }),
    ],
  };
  return { publisher, consumer, userRegistered };
}

/** A superuser connection to the test file's database, for set-up and assertions below the API. */
export async function adminClient(adminDatabaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl, application_name: 'commerce:test-admin' });
  await client.connect();
  return client;
}

export interface CounterPipeline {
  t: TestPlatform;
  /** superuser connection to the test database, for assertions below the API */
  admin: pg.Client;
  close(): Promise<void>;
}

/** Hosts the publisher and the counting consumer with the effects table, and starts the pipeline. */
export async function startCounterPipeline(modules: CounterModules, env: Record<string, string> = {}): Promise<CounterPipeline> {
  const t = await startTestPlatform([modules.publisher, modules.consumer], { startEvents: false, env });
  const admin = await adminClient(t.adminDatabaseUrl);
  await createEffectsTable(admin, t.config, modules.consumer);
  await t.platform.start();
  return { t, admin, close: async () => { await admin.end(); await t.close(); } };
}

/** Creates `<consumer schema>.effects` and gives it to the consumer module's role. */
export async function createEffectsTable(admin: pg.Client, config: Config, consumer: ModuleDefinition): Promise<void> {
  const owner = schemaOwner(consumer.schema, { prefix: config.DATABASE_ROLE_PREFIX, secret: config.DATABASE_ROLE_SECRET });
  await admin.query(`CREATE TABLE "${consumer.schema}".effects (
    event_id uuid NOT NULL, aggregate_id text NOT NULL, handled_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await admin.query(`ALTER TABLE "${consumer.schema}".effects OWNER TO ${pg.escapeIdentifier(owner.role)}`);
}

/** Number of effect rows per event id (events without an effect are absent). */
export async function effectCounts(admin: pg.Client, consumer: ModuleDefinition, eventIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await admin.query<{ event_id: string; n: number }>(
    `SELECT event_id, count(*)::int AS n FROM "${consumer.schema}".effects WHERE event_id = ANY($1::uuid[]) GROUP BY event_id`,
    [[...eventIds]],
  );
  return new Map(rows.map((row) => [row.event_id, row.n]));
}

/** Effect rows per event id, for effects recorded for the given aggregates. */
export async function effectCountsByAggregate(admin: pg.Client, consumer: ModuleDefinition, aggregateIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await admin.query<{ event_id: string; n: number }>(
    `SELECT event_id, count(*)::int AS n FROM "${consumer.schema}".effects WHERE aggregate_id = ANY($1::text[]) GROUP BY event_id`,
    [[...aggregateIds]],
  );
  return new Map(rows.map((row) => [row.event_id, row.n]));
}

export interface OutboxState {
  event_id: string;
  aggregate_id: string;
  attempts: number;
  last_error: string | null;
  published_at: Date | null;
  locked_until: Date | null;
}

export async function outboxRows(admin: pg.Client, publisher: ModuleDefinition, eventIds: readonly string[]): Promise<OutboxState[]> {
  const { rows } = await admin.query<OutboxState>(
    `SELECT event_id, aggregate_id, attempts, last_error, published_at, locked_until FROM "${publisher.schema}".outbox
     WHERE event_id = ANY($1::uuid[]) ORDER BY position`,
    [[...eventIds]],
  );
  return rows;
}

export function hostedContainer(platform: Platform, name: string) {
  const hosted = platform.modules.find((module) => module.definition.name === name);
  if (!hosted) throw new Error(`module ${name} is not hosted`);
  return hosted.container;
}

export function registration(overrides: Partial<UserRegisteredData> = {}): UserRegisteredData {
  const userId = newId();
  return { userId, email: `u-${userId}@example.com`, role: 'customer', firstName: null, lastName: null, ...overrides };
}

export interface WriteOptions {
  /** events per transaction (default: all in one) */
  perTransaction?: number;
  data?: (index: number) => Partial<UserRegisteredData>;
  metadata?: Partial<EventMetadata>;
  /** runs inside each transaction after its appends */
  inTransaction?: (trx: Knex.Transaction, written: readonly EventEnvelope<UserRegisteredData>[]) => Promise<void>;
}

/** Appends `count` UserRegistered events through the publisher's own outbox writer and commits them. */
export async function writeEvents(platform: Platform, modules: CounterModules, count: number, options: WriteOptions = {}): Promise<EventEnvelope<UserRegisteredData>[]> {
  const container = hostedContainer(platform, modules.publisher.name);
  const { db, outbox } = container.cradle;
  const perTransaction = options.perTransaction ?? count;
  const written: EventEnvelope<UserRegisteredData>[] = [];
  for (let start = 0; start < count; start += perTransaction) {
    const envelopes = await db.transaction(async (trx) => {
      const batch: EventEnvelope<UserRegisteredData>[] = [];
      for (let index = start; index < Math.min(count, start + perTransaction); index++) {
        const data = registration(options.data?.(index));
        batch.push(await outbox.append(trx, modules.userRegistered, {
          aggregateId: data.userId, aggregateVersion: 1, data, ...(options.metadata ? { metadata: options.metadata } : {}),
        }) as EventEnvelope<UserRegisteredData>);
      }
      await options.inTransaction?.(trx, batch);
      return batch;
    });
    written.push(...envelopes);
  }
  return written;
}
