import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import type { SagaEngine } from '../saga/saga-engine.js';
import { eventually } from '../testing/eventually.js';
import { clusterToolsMissing, startRedisCluster, type LocalRedisCluster } from '../testing/redis-cluster.js';
import { scanRedisKeys } from '../testing/redis-keys.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';

/**
 * The whole system with `REDIS_URL` naming a Redis Cluster of three masters: events travel
 * outbox → queue → inbox, an order saga runs to CONFIRMED, and BullMQ's multi-key scripts
 * work because every queue is one hash tag (and the queues are spread over the masters).
 */
const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery';
const LOGIN_MAX_ATTEMPTS = 3;
const missing = clusterToolsMissing();

let cluster: LocalRedisCluster;
let t: TestPlatform;

async function register(email: string): Promise<string> {
  const registered = await t.http.post('/api/v1/auth/register', { body: { email, password: PASSWORD, firstName: 'Ada' } });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return login(email, PASSWORD);
}

async function login(email: string, password: string): Promise<string> {
  const res = await t.http.post('/api/v1/auth/login', { body: { email, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken as string;
}

/** Which master holds each queue's keys: queue (its hash tag) → the ports of the masters with any of its keys. */
async function queuesByMaster(): Promise<Map<string, Set<number>>> {
  const placement = new Map<string, Set<number>>();
  for (const port of cluster.ports) {
    for await (const keys of scanRedisKeys(cluster.master(port), `${t.config.REDIS_PREFIX}:bull:*`)) {
      for (const key of keys) {
        const tag = /\{([^}]*)\}/.exec(key)?.[1] ?? `(untagged) ${key}`;
        placement.set(tag, (placement.get(tag) ?? new Set()).add(port));
      }
    }
  }
  return placement;
}

describe.skipIf(missing !== undefined)(`on a Redis Cluster of three masters${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    t = await startTestPlatform(allModules, { env: { REDIS_URL: cluster.url, LOGIN_MAX_ATTEMPTS: String(LOGIN_MAX_ATTEMPTS) } });
  }, TIMEOUT);
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await cluster?.stop();
    }
  }, TIMEOUT);

  it('welcomes a new customer: the event goes through the outbox, a queue on the cluster and the inbox', async () => {
    const email = `cluster-${randomUUID()}@example.com`;
    const token = await register(email);
    await eventually(async () => {
      const res = await t.http.get<{ items: { template: string; recipient: string; status: string }[] }>('/api/v1/notifications', { token });
      expect(res.body.items).toMatchObject([{ template: 'welcome', recipient: email, status: 'sent' }]);
    }, 30_000);
  }, TIMEOUT);

  it('confirms a paid order: the saga and the payment round trip run on the cluster', async () => {
    const adminToken = await login(t.config.ADMIN_EMAIL, t.config.ADMIN_PASSWORD);
    const sku = `CLUSTER-${randomUUID().slice(0, 8).toUpperCase()}`;
    const product = await t.http.post('/api/v1/products', {
      token: adminToken, body: { sku, name: `Cluster ${sku}`, description: 'made by a test', priceCents: 1_000, currency: 'EUR', stock: 4 },
    });
    expect(product.status, JSON.stringify(product.body)).toBe(201);
    const token = await register(`cluster-${randomUUID()}@example.com`);
    const card = await t.http.post('/api/v1/payment-methods', {
      token, body: { cardNumber: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: '123' },
    });
    expect(card.status, JSON.stringify(card.body)).toBe(201);

    const placed = await t.http.post('/api/v1/orders', {
      token, headers: { 'idempotency-key': randomUUID() }, body: { items: [{ productId: product.body.id, quantity: 3 }], paymentMethodId: card.body.id },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    const orderId = placed.body.id as string;

    const order = await eventually(async () => {
      const res = await t.http.get(`/api/v1/orders/${orderId}`, { token });
      expect(res.body.status).toBe('CONFIRMED');
      return res.body;
    }, 30_000, 100);
    expect(order).toMatchObject({ totalCents: 3_000, cancellationReason: null });
    expect((await t.http.get(`/api/v1/products/${product.body.id as string}`)).body.available).toBe(1);
    // The steps ran here without a queue round trip (see SagaEngine.wake); the saga workers, which take
    // back-offs and the sagas of a crashed process, listen on the cluster.
    const sagas = t.platform.modules.find((module) => module.definition.name === 'order')!.container.cradle.sagas as SagaEngine;
    expect(await sagas.queue.getWorkersCount()).toBeGreaterThan(0);
  }, TIMEOUT);

  it('counts failed logins in the cluster and refuses past the limit', async () => {
    const email = `cluster-${randomUUID()}@example.com`;
    await register(email);
    for (let attempt = 0; attempt < LOGIN_MAX_ATTEMPTS; attempt++) {
      expect((await t.http.post('/api/v1/auth/login', { body: { email, password: 'not the password' } })).status).toBe(401);
    }
    expect((await t.http.post('/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(429);
    // The count lives in Redis (shared by every instance), not in the in-process stand-in.
    const counted: string[] = [];
    for await (const keys of scanRedisKeys(t.platform.redis, `${t.config.REDIS_PREFIX}:login*`)) counted.push(...keys);
    expect(counted.some((key) => key.includes(email))).toBe(true);
  }, TIMEOUT);

  it('registers every hosted module in the service registry, with one heartbeat for all of them', async () => {
    await t.platform.announce(t.http.baseUrl);
    for (const module of allModules) {
      expect((await t.platform.network.registry.live(module.name)).map((instance) => instance.url), module.name).toEqual([t.http.baseUrl]);
    }
  }, TIMEOUT);

  it('keeps each queue in one slot and spreads the queues over the masters', async () => {
    const placement = await queuesByMaster();
    expect([...placement.keys()].filter((queue) => queue.startsWith('(untagged)'))).toEqual([]);
    expect([...placement.keys()]).toEqual(expect.arrayContaining(['notification-events', 'order-events', 'order-sagas', 'payment-events']));
    for (const [queue, masters] of placement) expect(masters.size, `masters holding keys of ${queue}`).toBe(1);
    const mastersInUse = new Set([...placement.values()].flatMap((masters) => [...masters]));
    expect(mastersInUse.size).toBeGreaterThan(1);
  }, TIMEOUT);
});
