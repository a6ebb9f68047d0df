/**
 * `npm run bench:order-statements`: the work one order costs, counted rather than timed, so
 * it means the same on a busy machine as on an idle one. The whole monolith runs in this
 * process on a fresh database; BENCH_ORDERS orders (default 20) go through the HTTP API, each
 * customer (BENCH_CONCURRENCY of them, default 1: one order at a time) placing the next once
 * the last is CONFIRMED; then it waits until every event is consumed and every notification
 * recorded. Printed per order: SQL statements by module and text (BEGIN and COMMIT included,
 * polls that found nothing apart), transactions, and Redis commands and round trips; then, as
 * rougher companions, the CPU time of this process and of PostgreSQL's backends per order.
 * Writes bench-results/order-statements.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { closeServer } from '../../src/app/graceful-shutdown.js';
import { createPlatform, listen } from '../../src/app/platform.js';
import { prepareDatabase } from '../../src/app/prepare-database.js';
import { loadConfig } from '../../src/config/config.js';
import { withDatabase } from '../../src/db/database-url.js';
import { dropDatabase } from '../../src/db/provision.js';
import { createLogger } from '../../src/observability/logger.js';
import { deleteRedisKeys } from '../../src/testing/redis-keys.js';
import { allModules } from '../../modules/registry.js';
import { BENCH_DATABASE_PREFIX, BENCH_REDIS_PREFIX, BENCH_SECRETS, removeWhatKilledRunsLeft } from './bench-run.js';
import { postgresCpuMs } from './postgres-cpu.js';
import { RedisCommandCounter } from './redis-command-counter.js';
import { StatementCounter, type StatementCount } from './statement-counter.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `${BENCH_DATABASE_PREFIX}${process.pid}_statements`;
const prefix = `${BENCH_REDIS_PREFIX}${process.pid}:statements`;
const ADMIN_EMAIL = 'bench-admin@example.com';
// Timers that only look for lost work run rarely here: what they cost is not an order's.
const QUIET_TIMERS = {
  RELAY_POLL_MS: '60000', SAGA_SWEEP_MS: '600000', DEAD_LETTER_SCAN_MS: '600000', SINGLETON_RETRY_MS: '600000', OUTBOX_PRUNE_MS: '86400000',
  ROUTE_REFRESH_MS: '60000', REGISTRY_HEARTBEAT_MS: '60000', REGISTRY_TTL_MS: '600000',
};

const redisCounter = RedisCommandCounter.install();
const statements = new StatementCounter();
const config = loadConfig({
  ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0',
  DATABASE_URL: withDatabase(serverUrl, database), REDIS_PREFIX: prefix, ...BENCH_SECRETS, ADMIN_EMAIL, ...QUIET_TIMERS,
});
const log = createLogger({ level: 'warn', pretty: false });

/** Calls the API as a customer would; any answer but the expected one stops the run. */
async function call(base: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

interface Shopper { token: string; card: string }

async function seed(base: string): Promise<{ shoppers: Shopper[]; products: string[] }> {
  const admin = (await call(base, 'POST', '/api/v1/auth/login', { email: ADMIN_EMAIL, password: BENCH_SECRETS.ADMIN_PASSWORD })).accessToken as string;
  const products: string[] = [];
  for (let i = 0; i < 5; i += 1) {
    products.push((await call(base, 'POST', '/api/v1/products', {
      sku: `STMT-${i}`, name: `Counted product ${i}`, description: 'for counting', priceCents: 700 + i * 100, currency: 'EUR', stock: 1_000_000,
    }, { authorization: `Bearer ${admin}` })).id as string);
  }
  const shoppers: Shopper[] = [];
  for (let i = 0; i < CONCURRENCY; i += 1) {
    const email = `counted-${randomUUID()}@example.com`;
    await call(base, 'POST', '/api/v1/auth/register', { email, password: 'counted password 123' });
    const token = (await call(base, 'POST', '/api/v1/auth/login', { email, password: 'counted password 123' })).accessToken as string;
    const card = (await call(base, 'POST', '/api/v1/payment-methods', { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' }, { authorization: `Bearer ${token}` })).id as string;
    shoppers.push({ token, card });
  }
  return { shoppers, products };
}

/** The orders this run placed, settled as the order saga reports them. */
class Settled {
  private readonly waiting = new Map<string, (confirmed: boolean) => void>();
  private readonly early = new Map<string, boolean>();
  confirmed = 0;
  cancelled = 0;

  settle(orderId: string, confirmed: boolean): void {
    if (confirmed) this.confirmed += 1; else this.cancelled += 1;
    const wake = this.waiting.get(orderId);
    if (wake) { this.waiting.delete(orderId); wake(confirmed); } else this.early.set(orderId, confirmed);
  }

  of(orderId: string): Promise<boolean> {
    const known = this.early.get(orderId);
    if (known !== undefined) { this.early.delete(orderId); return Promise.resolve(known); }
    return new Promise((resolve) => this.waiting.set(orderId, resolve));
  }
}

/** One to three products per order, as in bench:orders; the same sequence every run. */
function itemsOf(index: number, products: readonly string[]): { productId: string; quantity: number }[] {
  const lines = 1 + (index % 3);
  return Array.from({ length: lines }, (_, line) => ({ productId: products[(index + line) % products.length]!, quantity: 1 }));
}

async function placeOrders(base: string, shoppers: readonly Shopper[], products: readonly string[], count: number, settled: Settled): Promise<void> {
  let next = 0;
  await Promise.all(shoppers.map(async (shopper) => {
    while (next < count) {
      const index = next++;
      const placed = await call(base, 'POST', '/api/v1/orders', { items: itemsOf(index, products), paymentMethodId: shopper.card }, {
        authorization: `Bearer ${shopper.token}`, 'idempotency-key': randomUUID(),
      });
      if (!(await settled.of(placed.id as string))) throw new Error(`order ${String(placed.id)} was cancelled`);
    }
  }));
}

/**
 * Waits until nothing of the orders is left in flight: every outbox relayed, every saga
 * finished, every confirmation recorded as a notification; then a little longer, so the
 * relays' quick re-polls after their last batch are over too.
 */
async function quiet(admin: pg.Client, confirmations: number): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    const { rows } = await admin.query<{ unpublished: number; unfinished: number; notified: number }>(`SELECT
      (SELECT count(*) FROM orders.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM payments.outbox WHERE published_at IS NULL)
        + (SELECT count(*) FROM products.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM notifications.outbox WHERE published_at IS NULL)
        + (SELECT count(*) FROM users.outbox WHERE published_at IS NULL) AS unpublished,
      (SELECT count(*) FROM orders.sagas WHERE finished_at IS NULL) + (SELECT count(*) FROM payments.sagas WHERE finished_at IS NULL) AS unfinished,
      (SELECT count(*) FROM notifications.notifications WHERE template = 'order-confirmed') AS notified`);
    const state = rows[0]!;
    if (Number(state.unpublished) === 0 && Number(state.unfinished) === 0 && Number(state.notified) >= confirmations) break;
    if (waited > 30_000) throw new Error(`still busy after 30 s: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 600));
}

const perOrder = (count: number) => Math.round((count / ORDERS) * 100) / 100;
const isTransactionStart = (statement: string) => /^BEGIN;?$/i.test(statement);
const isCommit = (statement: string) => /^COMMIT;?$/i.test(statement);
const isEmptyPoll = (statement: string) => statement.startsWith('[empty poll]');

function report(counts: readonly StatementCount[]): Record<string, unknown> {
  const modules = [...new Set(counts.map((entry) => entry.module))];
  const byModule = modules.map((module) => {
    const own = counts.filter((entry) => entry.module === module);
    const sum = (keep: (entry: StatementCount) => boolean) => own.filter(keep).reduce((total, entry) => total + entry.count, 0);
    return {
      module,
      statements: perOrder(sum((entry) => !isEmptyPoll(entry.statement))),
      transactions: perOrder(sum((entry) => isTransactionStart(entry.statement))),
      commits: perOrder(sum((entry) => isCommit(entry.statement))),
      emptyPolls: perOrder(sum((entry) => isEmptyPoll(entry.statement))),
    };
  });
  const total = (field: 'statements' | 'transactions' | 'commits' | 'emptyPolls') => Math.round(byModule.reduce((sum, entry) => sum + entry[field], 0) * 100) / 100;
  const totals = { module: 'ALL', statements: total('statements'), transactions: total('transactions'), commits: total('commits'), emptyPolls: total('emptyPolls') };
  process.stdout.write('\nSQL statements per order, by module and text\n');
  console.table(counts.map((entry) => ({ module: entry.module, perOrder: perOrder(entry.count), statement: entry.statement.slice(0, 150) })));
  process.stdout.write('\nPer order, by module (statements exclude polls that found nothing)\n');
  console.table([...byModule, totals]);
  const redis = [...redisCounter.commands].sort((a, b) => b[1] - a[1]).map(([command, count]) => ({ command, perOrder: perOrder(count) }));
  process.stdout.write(`\nRedis per order: ${perOrder(redisCounter.total)} commands, ${perOrder(redisCounter.roundTrips)} round trips\n`);
  console.table(redis);
  return { orders: ORDERS, concurrency: CONCURRENCY, byModule: [...byModule, totals], statements: counts.map((entry) => ({ ...entry, perOrder: perOrder(entry.count) })),
    redis: { commandsPerOrder: perOrder(redisCounter.total), roundTripsPerOrder: perOrder(redisCounter.roundTrips), byCommand: redis } };
}

async function main(): Promise<void> {
  const redis = new Redis(config.REDIS_URL);
  redisCounter.ignore(redis);
  await removeWhatKilledRunsLeft(serverUrl, redis);
  await prepareDatabase(config, allModules, log);
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, database), application_name: 'order-statements' });
  await admin.connect();
  const platform = createPlatform({ config, log, modules: allModules });
  for (const hosted of platform.modules) statements.watch(hosted.definition.name, hosted.container.cradle.db);
  statements.watch('platform', platform.platformDb);
  const settled = new Settled();
  const order = platform.modules.find((hosted) => hosted.definition.name === 'order')!;
  order.container.cradle.sagas.onSettled((saga) => {
    if (saga.sagaType === 'place-order' && saga.lockKey) settled.settle(saga.lockKey, saga.status === 'COMPLETED');
  });
  let server: Server | undefined;
  try {
    await platform.seed({ demoData: false });
    await platform.start();
    server = await listen(platform, 0, '127.0.0.1');
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { shoppers, products } = await seed(base);
    // Warm-up: connections opened, scripts loaded, caches filled; not counted.
    const warmUp = 2 * CONCURRENCY;
    await placeOrders(base, shoppers, products, warmUp, settled);
    await quiet(admin, warmUp);

    statements.reset();
    redisCounter.reset();
    process.stdout.write(`order-statements: ${ORDERS} orders, ${CONCURRENCY} at a time\n`);
    const cpuBefore = process.cpuUsage();
    const postgresBefore = await postgresCpuMs(admin);
    const startedAt = performance.now();
    await placeOrders(base, shoppers, products, ORDERS, settled);
    await quiet(admin, warmUp + ORDERS);
    // The whole process (the HTTP client included): a rough companion to the counts, steadier than a rate on a shared machine.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerOrder = Math.round(((cpu.user + cpu.system) / 1000 / ORDERS) * 10) / 10;
    const result = { ...report(statements.counts()), cpuMsPerOrder };
    const ordersPerSecond = Math.round((ORDERS / ((performance.now() - startedAt) / 1000)) * 10) / 10;
    const postgresCpuMsPerOrder = Math.round((((await postgresCpuMs(admin)) - postgresBefore) / ORDERS) * 10) / 10;
    process.stdout.write(`CPU per order: this process ${cpuMsPerOrder} ms (the HTTP client included), PostgreSQL ${postgresCpuMsPerOrder} ms; `
      + `${ordersPerSecond} orders/s until all settled (depends on the machine's load)\n`);
    await mkdir('bench-results', { recursive: true });
    await writeFile('bench-results/order-statements.json', `${JSON.stringify({ ...result, postgresCpuMsPerOrder, ordersPerSecond, measuredAt: new Date().toISOString() }, null, 2)}\n`);
    process.stdout.write('wrote bench-results/order-statements.json\n');
  } finally {
    if (server) await closeServer(server, 1_000);
    await platform.close();
    await admin.end();
    await deleteRedisKeys(redis, `${prefix}:*`).catch(() => undefined);
    redis.disconnect();
    await dropDatabase(serverUrl, database);
  }
}

await main();
