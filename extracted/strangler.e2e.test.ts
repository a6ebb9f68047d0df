import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ServiceTokens } from '../src/security/service-tokens.js';
import { DEV_SECRETS } from '../src/config/config.js';
import { eventually } from '../src/testing/eventually.js';
import { HttpClient, type HttpResponse } from '../src/testing/http-client.js';
import { provisionTestSite, startProcess, type RunningProcess, type TestSite } from '../src/testing/test-processes.js';
import { login, newCustomer, newProduct, type Customer } from '../modules/order/testing/shop.js';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { connectRedis } from '../src/events/redis-connection.js';
import { createLogger } from '../src/observability/logger.js';
import { ServiceRegistry } from '../src/proxy/service-registry.js';

/**
 * The strangler fig with real processes on loopback: the monolith as the front door and
 * extracted services beside it, on one private database and Redis prefix.
 */
const FAST_RECOVERY = JSON.stringify({ default: { breaker: { consecutiveFailures: 3, halfOpenAfterMs: 1_000 }, backoff: { initialMs: 20, maxMs: 100 } } });
const MONOLITH_ENV = { RESILIENCE: FAST_RECOVERY, OUTLIER_EJECTION_MS: '1000', REGISTRY_TTL_MS: '3000', REGISTRY_HEARTBEAT_MS: '300' };

let site: TestSite;
const running: RunningProcess[] = [];
const start = async (script: string, env: Record<string, string> = {}) => {
  const process = await startProcess(script, { ...site.env, ...MONOLITH_ENV, ...env });
  running.push(process);
  return process;
};

beforeAll(async () => { site = await provisionTestSite(); });
afterAll(async () => {
  await Promise.all(running.map((process) => process.stop()));
  await site?.close();
});

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

const servedBy = (res: HttpResponse<unknown>) => res.headers.get('x-served-by');
const order = (customer: Customer, productId: string) => ({
  token: customer.token, headers: { 'idempotency-key': randomUUID() },
  body: { items: [{ productId, quantity: 1 }], paymentMethodId: customer.cards.approves },
});

describe('order extracted, payment in the monolith', () => {
  let monolith: RunningProcess;
  let orderService: RunningProcess;
  let http: HttpClient;
  let adminToken: string;
  let customer: Customer;
  let productId: string;
  const placed: string[] = [];

  beforeAll(async () => {
    monolith = await start('scripts/start.ts');
    orderService = await start('extracted/order-service/main.ts');
    http = new HttpClient(monolith.url);
    adminToken = await login(http, 'admin@example.com', DEV_SECRETS.ADMIN_PASSWORD);
    customer = await newCustomer(http, ['approves']);
    productId = await newProduct(http, adminToken, 100_000);
  });

  const route = async (body: Record<string, unknown>) => {
    const res = await http.put('/admin/routes/order', { token: adminToken, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  it('an extracted service answers only requests carrying a service token issued for it', async () => {
    const direct = new HttpClient(orderService.url);
    expect((await direct.get('/api/v1/orders', { token: customer.token })).status).toBe(401);
    const forPayment = await new ServiceTokens(DEV_SECRETS.INTERNAL_TOKEN_SECRET, 'test').tokenFor('payment');
    expect((await direct.get('/api/v1/orders', { token: customer.token, headers: { 'x-internal-token': forPayment } })).status).toBe(401);
    const forOrder = await new ServiceTokens(DEV_SECRETS.INTERNAL_TOKEN_SECRET, 'test').tokenFor('order');
    expect((await direct.get('/api/v1/orders', { token: customer.token, headers: { 'x-internal-token': forOrder } })).status).toBe(200);
    expect((await direct.get('/healthz')).status).toBe(200);
  });

  it('flips order through shadow, canary 50%, remote and back to local under traffic without a failed request', async () => {
    type Phase = 'local' | 'shadow' | 'canary' | 'remote' | 'local again';
    // A request counts for a phase only if it began and ended while no switch was in flight:
    // one sent just as a switch is made may reach the front door on either side of it.
    let phase: Phase | 'switching' = 'local';
    let stopped = false;
    const seen: { phase: Phase | 'switching'; status: number; by: string | null; what: string; fallback: string | null }[] = [];
    const timed = async <T>(what: string, send: () => Promise<HttpResponse<T>>): Promise<HttpResponse<T>> => {
      const before = phase;
      const res = await send();
      seen.push({ phase: before === phase ? before : 'switching', status: res.status, by: servedBy(res), what, fallback: res.headers.get('x-fallback') });
      return res;
    };
    const loop = async () => {
      while (!stopped) {
        await timed('list', () => http.get('/api/v1/orders?limit=5', { token: customer.token }));
        const res = await timed('place', () => http.post<{ id: string }>('/api/v1/orders', order(customer, productId)));
        if (res.status === 202) {
          placed.push(res.body.id);
          await timed('read', () => http.get(`/api/v1/orders/${res.body.id}`, { token: customer.token }));
        }
      }
    };
    const loops = [loop(), loop(), loop()];
    const hold = () => new Promise((resolve) => setTimeout(resolve, 1_500));
    const switchTo = async (next: Phase, body: Record<string, unknown>) => {
      phase = 'switching';
      await route(body);
      phase = next;
      await hold();
    };
    await hold();
    await switchTo('shadow', { mode: 'shadow' });
    await switchTo('canary', { mode: 'canary', canaryPercent: 50 });
    await switchTo('remote', { mode: 'remote' });
    await switchTo('local again', { mode: 'local' });
    stopped = true;
    await Promise.all(loops);

    const failed = seen.filter((entry) => entry.status >= 300);
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    const by = (at: Phase) => new Set(seen.filter((entry) => entry.phase === at).map((entry) => entry.by));
    expect(by('local')).toEqual(new Set(['monolith']));
    expect(by('shadow')).toEqual(new Set(['monolith']));
    expect(by('canary')).toEqual(new Set(['monolith', 'order-service']));
    expect(by('remote'), JSON.stringify(seen.filter((entry) => entry.phase === 'remote' && entry.by !== 'order-service').slice(0, 5))).toEqual(new Set(['order-service']));
    expect(by('local again')).toEqual(new Set(['monolith']));
    const shadow = await http.get<{ compared: number }>('/admin/routes/order/shadow', { token: adminToken });
    expect(shadow.body.compared).toBeGreaterThan(0);
  });

  it('confirms every order, whichever process ran its saga (payment is handled in the monolith)', async () => {
    expect(placed.length).toBeGreaterThan(10);
    await eventually(async () => {
      const statuses = await Promise.all(placed.map(async (id) => (await http.get<{ status: string }>(`/api/v1/orders/${id}`, { token: customer.token })).body.status));
      expect(statuses.filter((status) => status !== 'CONFIRMED')).toEqual([]);
    }, 30_000, 200);
  });

  it('sends a write to another instance when one that crashed without deregistering refuses the connection', async () => {
    await route({ mode: 'remote' });
    onTestFinished(() => route({ mode: 'local' }));
    const redis = connectRedis(site.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const crashed = new ServiceRegistry(redis, { prefix: site.env.REDIS_PREFIX!, heartbeatMs: 300, ttlMs: 3_000 }, createLogger({ level: 'silent', pretty: false }));
    onTestFinished(async () => { await crashed.deregister(); redis.disconnect(); });
    await crashed.register([{ instanceId: 'crashed', module: 'order', url: `http://127.0.0.1:${await closedPort()}`, kind: 'service' }]);
    // reading the route's instances refreshes what the front door knows of them
    const instances = await http.get<{ instances: { instanceId: string }[] }>('/admin/routes/order', { token: adminToken });
    expect(instances.body.instances.map((instance) => instance.instanceId)).toContain('crashed');

    for (let i = 0; i < 6; i++) {
      const placedThere = await http.post('/api/v1/orders', order(customer, productId));
      expect(placedThere.status, JSON.stringify(placedThere.body)).toBe(202);
      expect(servedBy(placedThere)).toBe('order-service');
    }
  });

  it('when the extracted service dies its circuit opens, reads fall back, writes fail fast; traffic returns after it restarts', async () => {
    await route({ mode: 'remote' });
    // Whatever happens below, the tests after this one start with order served locally.
    onTestFinished(() => route({ mode: 'local' }));
    expect(servedBy(await http.get('/api/v1/orders', { token: customer.token }))).toBe('order-service');
    orderService.child.kill('SIGKILL');
    await orderService.stop();

    const read = await http.get('/api/v1/orders', { token: customer.token });
    expect(read.status).toBe(200);
    expect(servedBy(read)).toBe('monolith');
    expect(read.headers.get('x-fallback')).toBe('local');
    await eventually(async () => {
      const resilience = await http.get<{ items: { dependency: string; circuit: string }[] }>('/admin/resilience', { token: adminToken });
      expect(resilience.body.items.find((item) => item.dependency === 'proxy.order')?.circuit).toBe('open');
    }, 10_000, 100);
    const started = performance.now();
    const write = await http.post('/api/v1/orders', order(customer, productId));
    expect(write.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1_000);

    orderService = await start('extracted/order-service/main.ts');
    await eventually(async () => {
      expect(servedBy(await http.get('/api/v1/orders', { token: customer.token }))).toBe('order-service');
    }, 15_000, 200);
    const placedAgain = await http.post<{ id: string }>('/api/v1/orders', order(customer, productId));
    expect(placedAgain.status, JSON.stringify(placedAgain.body)).toBe(202);
    expect(servedBy(placedAgain)).toBe('order-service');
  });

  afterAll(async () => {
    await Promise.all([monolith, orderService].map((process) => process?.stop()));
  });
});

describe('payment extracted, order in the monolith', () => {
  it('places an order in a monolith that does not host payment: its cards and its charge are handled by the payment service', async () => {
    const monolith = await start('scripts/start.ts', { MODULES: 'user,product,order,notification' });
    const paymentService = await start('extracted/payment-service/main.ts');
    const http = new HttpClient(monolith.url);
    const adminToken = await login(http, 'admin@example.com', DEV_SECRETS.ADMIN_PASSWORD);
    const customer = await newCustomer(http, ['approves']);
    const productId = await newProduct(http, adminToken, 10);
    const saved = await http.get('/api/v1/payment-methods', { token: customer.token });
    expect(servedBy(saved)).toBe('payment-service');

    const placed = await http.post<{ id: string }>('/api/v1/orders', order(customer, productId));
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    expect(servedBy(placed)).toBe('monolith');
    await eventually(async () => {
      expect((await http.get<{ status: string }>(`/api/v1/orders/${placed.body.id}`, { token: customer.token })).body.status).toBe('CONFIRMED');
    }, 20_000, 100);
    const payments = await http.get<{ items: { status: string }[] }>(`/api/v1/payments?orderId=${placed.body.id}`, { token: customer.token });
    expect(servedBy(payments)).toBe('payment-service');
    expect(payments.body.items.map((payment) => payment.status)).toEqual(['CAPTURED']);
    await Promise.all([monolith.stop(), paymentService.stop()]);
  });
});
