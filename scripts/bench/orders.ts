/**
 * `npm run bench:orders`: customers placing orders through the HTTP API of the whole
 * monolith (all modules, relays, consumers and saga workers in one server process), in one run:
 *  - throughput: BENCH_CUSTOMERS customers each placing orders back to back for
 *    BENCH_SECONDS; confirmedPerSec counts orders that reached CONFIRMED, from the first
 *    POST to the last confirmation (a backlog the sagas work off afterwards counts against it);
 *  - latency: orders arriving at BENCH_RATE per second (open loop) for BENCH_SECONDS:
 *    POST latency and order-to-confirmed latency percentiles.
 * Writes bench-results/orders.json.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { prepareDatabase } from '../../src/app/prepare-database.js';
import { loadConfig } from '../../src/config/config.js';
import { withDatabase } from '../../src/db/database-url.js';
import { dropDatabase } from '../../src/db/provision.js';
import { createLogger } from '../../src/observability/logger.js';
import { deleteRedisKeys } from '../../src/testing/redis-keys.js';
import { allModules } from '../../modules/registry.js';
import { BENCH_DATABASE_PREFIX, BENCH_REDIS_PREFIX, BENCH_SECRETS, removeWhatKilledRunsLeft } from './bench-run.js';
import { LoadClient } from './http-load.js';
import type { ServerMessage } from './order-server.js';
import { percentiles, round } from './percentiles.js';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATE = Number(process.env.BENCH_RATE ?? 150);
const PRODUCTS = 20;
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `${BENCH_DATABASE_PREFIX}${process.pid}_orders`;
const prefix = `${BENCH_REDIS_PREFIX}${process.pid}`;
const env = {
  ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0',
  DATABASE_URL: withDatabase(serverUrl, database), REDIS_PREFIX: prefix,
  ...BENCH_SECRETS, ADMIN_EMAIL: 'bench-admin@example.com', DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? '6',
};

interface Shopper { token: string; card: string }

const posted = new Map<string, number>();
const confirmLatencies: number[] = [];
let confirmed = 0;
let cancelled = 0;
let lastSettledAt = 0;
let settledWaiters: (() => void)[] = [];

function onSettled(message: Extract<ServerMessage, { kind: 'settled' }>): void {
  const startedAt = posted.get(message.orderId);
  posted.delete(message.orderId);
  if (message.confirmed) {
    confirmed += 1;
    if (startedAt !== undefined) confirmLatencies.push(message.at - startedAt);
  } else cancelled += 1;
  lastSettledAt = message.at;
  if (posted.size === 0) { for (const wake of settledWaiters) wake(); settledWaiters = []; }
}

const now = () => performance.timeOrigin + performance.now();
const allSettled = () => (posted.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => settledWaiters.push(resolve)));

async function json(client: LoadClient, method: string, path: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await client.send(method, path, body, token ? { authorization: `Bearer ${token}` } : {});
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

async function seed(client: LoadClient): Promise<{ shoppers: Shopper[]; products: string[] }> {
  const admin = (await json(client, 'POST', '/api/v1/auth/login', { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD })).accessToken as string;
  const products = await Promise.all(Array.from({ length: PRODUCTS }, async (_, index) => (await json(client, 'POST', '/api/v1/products', {
    sku: `BENCH-${index}`, name: `Bench product ${index}`, description: 'for the benchmark', priceCents: 500 + index * 100, currency: 'EUR', stock: 1_000_000,
  }, admin)).id as string));
  const shoppers = await Promise.all(Array.from({ length: CUSTOMERS }, async () => {
    const email = `shopper-${randomUUID()}@example.com`;
    await json(client, 'POST', '/api/v1/auth/register', { email, password: 'bench password 123' });
    const token = (await json(client, 'POST', '/api/v1/auth/login', { email, password: 'bench password 123' })).accessToken as string;
    const card = (await json(client, 'POST', '/api/v1/payment-methods', { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' }, token)).id as string;
    return { token, card };
  }));
  return { shoppers, products };
}

/** One order of one to three products; returns the POST's latency in ms. */
async function placeOrder(client: LoadClient, shopper: Shopper, products: readonly string[]): Promise<number> {
  const lines = 1 + Math.floor(Math.random() * 3);
  const items = Array.from({ length: lines }, (_, i) => ({ productId: products[(Math.floor(Math.random() * products.length) + i) % products.length]!, quantity: 1 }));
  const started = now();
  const res = await client.send('POST', '/api/v1/orders', { items, paymentMethodId: shopper.card }, { authorization: `Bearer ${shopper.token}`, 'idempotency-key': randomUUID() });
  const took = now() - started;
  if (res.status !== 202) throw new Error(`POST /api/v1/orders → ${res.status}: ${res.body}`);
  posted.set((JSON.parse(res.body) as { id: string }).id, started);
  return took;
}

async function closedLoop(client: LoadClient, shoppers: readonly Shopper[], products: readonly string[], seconds: number): Promise<{ orders: number; firstPostAt: number }> {
  const firstPostAt = now();
  const until = firstPostAt + seconds * 1000;
  let orders = 0;
  await Promise.all(shoppers.map(async (shopper) => {
    while (now() < until) { await placeOrder(client, shopper, products); orders += 1; }
  }));
  return { orders, firstPostAt };
}

async function openLoop(client: LoadClient, shoppers: readonly Shopper[], products: readonly string[], rate: number, seconds: number): Promise<number[]> {
  const count = Math.round(rate * seconds);
  const started = now();
  const latencies: Promise<number>[] = [];
  for (let i = 0; i < count; i += 1) {
    const due = started + (i / rate) * 1000;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    latencies.push(placeOrder(client, shoppers[i % shoppers.length]!, products));
  }
  return Promise.all(latencies);
}

async function main(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await removeWhatKilledRunsLeft(serverUrl, redis);
  const log = createLogger({ level: 'warn', pretty: false });
  await prepareDatabase(loadConfig(env), allModules, log);
  const server = fork(fileURLToPath(new URL('./order-server.ts', import.meta.url)), [], { env, execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench-results/profiles'] : []), ...(process.env.BENCH_SERVER_IMPORT ? ['--import', process.env.BENCH_SERVER_IMPORT] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    server.on('message', (message: ServerMessage) => (message.kind === 'ready' ? resolve(message.port) : onSettled(message)));
    server.once('exit', (code) => reject(new Error(`the server stopped (${code})`)));
  });
  const client = new LoadClient(port, CUSTOMERS + 16);
  try {
    const { shoppers, products } = await seed(client);
    process.stdout.write(`bench:orders  ${CUSTOMERS} customers, ${SECONDS} s per phase, latency at ${RATE}/s\n`);
    await closedLoop(client, shoppers, products, 3); // warm-up: JIT, pools, plans
    await allSettled();

    confirmed = 0; cancelled = 0; confirmLatencies.length = 0;
    const { orders, firstPostAt } = await closedLoop(client, shoppers, products, SECONDS);
    await allSettled();
    const confirmedPerSec = confirmed / ((lastSettledAt - firstPostAt) / 1000);
    const throughput = { orders, confirmed, cancelled, postedPerSec: orders / SECONDS };

    confirmed = 0; cancelled = 0; confirmLatencies.length = 0;
    const postLatencies = await openLoop(client, shoppers, products, RATE, SECONDS);
    await allSettled();
    const post = percentiles(postLatencies);
    const confirm = percentiles(confirmLatencies);
    const result = {
      confirmedPerSec: round(confirmedPerSec), postedPerSec: round(throughput.postedPerSec), throughputOrders: orders, throughputCancelled: throughput.cancelled,
      latencyRatePerSec: RATE, postP50Ms: round(post.p50, 2), postP95Ms: round(post.p95, 2), postP99Ms: round(post.p99, 2),
      confirmP50Ms: round(confirm.p50, 1), confirmP95Ms: round(confirm.p95, 1), confirmP99Ms: round(confirm.p99, 1),
      latencyOrders: postLatencies.length, latencyConfirmed: confirmed, customers: CUSTOMERS, seconds: SECONDS,
      targets: { confirmedPerSecAtLeast: 300, postP95MsBelowAt150PerSec: 25 },
      measuredAt: new Date().toISOString(),
    };
    console.table([
      { measure: `orders/s reaching CONFIRMED (${CUSTOMERS} customers back to back)`, value: result.confirmedPerSec },
      { measure: 'orders/s accepted (POST 202) meanwhile', value: result.postedPerSec },
      { measure: `POST p50 / p95 / p99 at ${RATE}/s`, value: `${result.postP50Ms} / ${result.postP95Ms} / ${result.postP99Ms} ms` },
      { measure: `order→CONFIRMED p50 / p95 / p99 at ${RATE}/s`, value: `${result.confirmP50Ms} / ${result.confirmP95Ms} / ${result.confirmP99Ms} ms` },
    ]);
    await mkdir('bench-results', { recursive: true });
    await writeFile('bench-results/orders.json', `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write('wrote bench-results/orders.json\n');
  } finally {
    client.close();
    server.disconnect();
    await new Promise((resolve) => server.once('exit', resolve));
    await deleteRedisKeys(redis, `${prefix}:*`).catch(() => undefined);
    redis.disconnect();
    await dropDatabase(serverUrl, database);
  }
}

await main();
