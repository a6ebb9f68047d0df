/**
 * One run of the order benchmark: a fresh database, the whole monolith in a server process of
 * its own (all modules, relays, consumers and saga workers), customers seeded through the
 * HTTP API, then
 *  - throughput: `customers` each placing orders back to back for `seconds`; confirmedPerSec
 *    counts orders that reached CONFIRMED, from the first POST to the last confirmation (a
 *    backlog the sagas work off afterwards counts against it);
 *  - latency: orders arriving at `rate` per second (open loop) for `seconds`: POST latency
 *    and order-to-confirmed latency percentiles.
 * `npm run bench:orders` runs it once; `npm run bench:tracing` runs it with tracing off and on.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
import type { BenchMessage, ServerMessage } from './order-server.js';
import { percentiles, round } from './percentiles.js';

export interface OrderBenchSettings {
  customers: number;
  seconds: number;
  /** orders per second of the latency phase */
  rate: number;
  /** names this run's database and Redis keys, so runs of one process never share them */
  run: string;
  /** the server's environment on top of the benchmark's own; an undefined value removes a variable */
  serverEnv?: Record<string, string | undefined>;
  /** modules the server process loads with `--import` before the app (after tsx) */
  serverImports?: readonly string[];
}

export interface OrderBenchResult {
  confirmedPerSec: number;
  /** the server process's CPU time per order settled in the throughput phase: steadier than throughput on a shared machine */
  serverCpuMsPerOrder: number;
  postedPerSec: number;
  throughputOrders: number;
  throughputCancelled: number;
  latencyRatePerSec: number;
  postP50Ms: number;
  postP95Ms: number;
  postP99Ms: number;
  confirmP50Ms: number;
  confirmP95Ms: number;
  confirmP99Ms: number;
  latencyOrders: number;
  latencyConfirmed: number;
  customers: number;
  seconds: number;
}

const PRODUCTS = 20;
const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_EMAIL = 'bench-admin@example.com';
const now = () => performance.timeOrigin + performance.now();

interface Shopper { token: string; card: string }

/** The orders a run posted until their sagas settle, as the server reports them. */
class Settlements {
  private readonly posted = new Map<string, number>();
  private waiters: (() => void)[] = [];
  confirmLatencies: number[] = [];
  confirmed = 0;
  cancelled = 0;
  lastSettledAt = 0;

  post(orderId: string, at: number): void {
    this.posted.set(orderId, at);
  }

  settled(message: Extract<ServerMessage, { kind: 'settled' }>): void {
    const startedAt = this.posted.get(message.orderId);
    this.posted.delete(message.orderId);
    if (message.confirmed) {
      this.confirmed += 1;
      if (startedAt !== undefined) this.confirmLatencies.push(message.at - startedAt);
    } else this.cancelled += 1;
    this.lastSettledAt = message.at;
    if (this.posted.size === 0) { for (const wake of this.waiters) wake(); this.waiters = []; }
  }

  all(): Promise<void> {
    return this.posted.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** A new phase counts from zero (orders still in flight are awaited first). */
  restart(): void {
    this.confirmed = 0; this.cancelled = 0; this.confirmLatencies = [];
  }
}

/** One run's load generator: the HTTP client and the orders it waits for. */
class Shop {
  readonly settlements = new Settlements();

  constructor(private readonly client: LoadClient, private readonly adminPassword: string) {}

  private async json(method: string, path: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
    const res = await this.client.send(method, path, body, token ? { authorization: `Bearer ${token}` } : {});
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.body}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  }

  async seed(customers: number): Promise<{ shoppers: Shopper[]; products: string[] }> {
    const admin = (await this.json('POST', '/api/v1/auth/login', { email: ADMIN_EMAIL, password: this.adminPassword })).accessToken as string;
    const products = await Promise.all(Array.from({ length: PRODUCTS }, async (_, index) => (await this.json('POST', '/api/v1/products', {
      sku: `BENCH-${index}`, name: `Bench product ${index}`, description: 'for the benchmark', priceCents: 500 + index * 100, currency: 'EUR', stock: 1_000_000,
    }, admin)).id as string));
    const shoppers = await Promise.all(Array.from({ length: customers }, async () => {
      const email = `shopper-${randomUUID()}@example.com`;
      await this.json('POST', '/api/v1/auth/register', { email, password: 'bench password 123' });
      const token = (await this.json('POST', '/api/v1/auth/login', { email, password: 'bench password 123' })).accessToken as string;
      const card = (await this.json('POST', '/api/v1/payment-methods', { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' }, token)).id as string;
      return { token, card };
    }));
    return { shoppers, products };
  }

  /** One order of one to three products; returns the POST's latency in ms. */
  async placeOrder(shopper: Shopper, products: readonly string[]): Promise<number> {
    const lines = 1 + Math.floor(Math.random() * 3);
    const items = Array.from({ length: lines }, (_, i) => ({ productId: products[(Math.floor(Math.random() * products.length) + i) % products.length]!, quantity: 1 }));
    const started = now();
    const res = await this.client.send('POST', '/api/v1/orders', { items, paymentMethodId: shopper.card }, { authorization: `Bearer ${shopper.token}`, 'idempotency-key': randomUUID() });
    const took = now() - started;
    if (res.status !== 202) throw new Error(`POST /api/v1/orders → ${res.status}: ${res.body}`);
    this.settlements.post((JSON.parse(res.body) as { id: string }).id, started);
    return took;
  }

  async closedLoop(shoppers: readonly Shopper[], products: readonly string[], seconds: number): Promise<{ orders: number; firstPostAt: number }> {
    const firstPostAt = now();
    const until = firstPostAt + seconds * 1000;
    let orders = 0;
    await Promise.all(shoppers.map(async (shopper) => {
      while (now() < until) { await this.placeOrder(shopper, products); orders += 1; }
    }));
    return { orders, firstPostAt };
  }

  async openLoop(shoppers: readonly Shopper[], products: readonly string[], rate: number, seconds: number): Promise<number[]> {
    const count = Math.round(rate * seconds);
    const started = now();
    const latencies: Promise<number>[] = [];
    for (let i = 0; i < count; i += 1) {
      const due = started + (i / rate) * 1000;
      const wait = due - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      latencies.push(this.placeOrder(shoppers[i % shoppers.length]!, products));
    }
    return Promise.all(latencies);
  }
}

/**
 * Runs the benchmark once and removes its database and Redis keys afterwards.
 * @example const result = await runOrderBench({ customers: 64, seconds: 15, rate: 150, run: 'orders' })
 */
export async function runOrderBench(settings: OrderBenchSettings): Promise<OrderBenchResult> {
  const database = `${BENCH_DATABASE_PREFIX}${process.pid}_${settings.run}`;
  const prefix = `${BENCH_REDIS_PREFIX}${process.pid}:${settings.run}`;
  const env: Record<string, string> = {};
  const merged = {
    ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0',
    DATABASE_URL: withDatabase(serverUrl, database), REDIS_PREFIX: prefix,
    ...BENCH_SECRETS, ADMIN_EMAIL, DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? '6',
    ...settings.serverEnv,
  };
  for (const [name, value] of Object.entries(merged)) if (value !== undefined) env[name] = value;

  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await removeWhatKilledRunsLeft(serverUrl, redis);
  await prepareDatabase(loadConfig(env), allModules, createLogger({ level: 'warn', pretty: false }));
  const imports = [...(settings.serverImports ?? []), ...(process.env.BENCH_SERVER_IMPORT ? [process.env.BENCH_SERVER_IMPORT] : [])];
  const server = fork(fileURLToPath(new URL('./order-server.ts', import.meta.url)), [], {
    env,
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? 'bench-results/profiles'}`] : []), ...imports.flatMap((module) => ['--import', module])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let shop: Shop | undefined;
  let cpuAnswer: ((micros: number) => void) | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server.on('message', (message: ServerMessage) => {
      if (message.kind === 'ready') resolve(message.port);
      else if (message.kind === 'cpu') cpuAnswer?.(message.micros);
      else shop?.settlements.settled(message);
    });
    server.once('exit', (code) => reject(new Error(`the server stopped (${code})`)));
  });
  const serverCpuMs = () => new Promise<number>((resolve) => {
    cpuAnswer = (micros) => resolve(micros / 1000);
    server.send({ kind: 'cpu?' } satisfies BenchMessage);
  });
  const client = new LoadClient(port, settings.customers + 16);
  shop = new Shop(client, BENCH_SECRETS.ADMIN_PASSWORD);
  const { settlements } = shop;
  try {
    const { shoppers, products } = await shop.seed(settings.customers);
    await shop.closedLoop(shoppers, products, 3); // warm-up: JIT, pools, plans
    await settlements.all();

    settlements.restart();
    const cpuBefore = await serverCpuMs();
    const { orders, firstPostAt } = await shop.closedLoop(shoppers, products, settings.seconds);
    await settlements.all();
    const serverCpuMsPerOrder = ((await serverCpuMs()) - cpuBefore) / (settlements.confirmed + settlements.cancelled);
    const confirmedPerSec = settlements.confirmed / ((settlements.lastSettledAt - firstPostAt) / 1000);
    const throughputCancelled = settlements.cancelled;

    settlements.restart();
    const postLatencies = await shop.openLoop(shoppers, products, settings.rate, settings.seconds);
    await settlements.all();
    const post = percentiles(postLatencies);
    const confirm = percentiles(settlements.confirmLatencies);
    return {
      confirmedPerSec: round(confirmedPerSec), serverCpuMsPerOrder: round(serverCpuMsPerOrder, 2), postedPerSec: round(orders / settings.seconds), throughputOrders: orders, throughputCancelled,
      latencyRatePerSec: settings.rate, postP50Ms: round(post.p50, 2), postP95Ms: round(post.p95, 2), postP99Ms: round(post.p99, 2),
      confirmP50Ms: round(confirm.p50, 1), confirmP95Ms: round(confirm.p95, 1), confirmP99Ms: round(confirm.p99, 1),
      latencyOrders: postLatencies.length, latencyConfirmed: settlements.confirmed, customers: settings.customers, seconds: settings.seconds,
    };
  } finally {
    client.close();
    server.disconnect();
    await new Promise((resolve) => server.once('exit', resolve));
    await deleteRedisKeys(redis, `${prefix}:*`).catch(() => undefined);
    redis.disconnect();
    await dropDatabase(serverUrl, database);
  }
}
