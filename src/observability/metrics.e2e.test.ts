import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { allModules } from '../../modules/registry.js';

let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(allModules); });
afterAll(async () => { await t?.close(); });

const scrape = async () => {
  const res = await fetch(`${t.http.baseUrl}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};
/** The value of the one sample of `name` that carries all these labels (in whatever order they are written). */
const sample = (text: string, name: string, labels: readonly string[]): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && labels.every((label) => candidate.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};
const PLACED = ['module="order"', 'saga="place-order"', 'outcome="completed"'];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

it('exposes every family an operator watches, labelled by route template and never by a raw id', async () => {
  const admin = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
  const product = await t.http.post<{ id: string }>('/api/v1/products', {
    token: admin.body.accessToken as string, body: { sku: `MET-${randomUUID()}`, name: 'Metered mug', description: '', priceCents: 500, currency: 'EUR', stock: 1 },
  });
  await t.http.get(`/api/v1/products/${product.body.id}`);
  await t.http.get(`/api/v1/products/${randomUUID()}`);
  await t.http.get(`/no/such/${randomUUID()}`);
  // A customer orders the product: its saga settles, and the saga families get a sample.
  const email = `m-${randomUUID()}@example.com`;
  await t.http.post('/api/v1/auth/register', { body: { email, password: 'a long enough password' } });
  const customer = (await t.http.post('/api/v1/auth/login', { body: { email, password: 'a long enough password' } })).body.accessToken as string;
  const card = await t.http.post<{ id: string }>('/api/v1/payment-methods', {
    token: customer, body: { cardNumber: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: '123' },
  });
  const order = await t.http.post('/api/v1/orders', {
    token: customer, headers: { 'idempotency-key': randomUUID() },
    body: { items: [{ productId: product.body.id, quantity: 1 }], paymentMethodId: card.body.id },
  });
  expect(order.status).toBe(202);

  const text = await eventually(async () => {
    const body = await scrape();
    expect(body).toMatch(/outbox_publish_lag_seconds_count\{module="user"/);
    expect(sample(body, 'saga_outcomes_total', PLACED)).toBe(1);
    return body;
  }, 15_000, 100);
  for (const family of [
    'http_request_duration_seconds', 'http_requests_total', 'outbox_backlog', 'outbox_publish_lag_seconds', 'events_published_total',
    'events_handled_total', 'queue_jobs', 'circuit_breaker_state', 'saga_outcomes_total', 'saga_duration_seconds', 'singleton_leader', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds',
  ]) expect(text, family).toContain(`# TYPE ${family} `);
  expect(text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/products\/:id",status="200",module="product",service="monolith"\} 1/);
  expect(text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/products\/:id",status="404",module="product",service="monolith"\} 1/);
  expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404",module="kernel",service="monolith"\} 1/);
  expect(sample(text, 'saga_duration_seconds_count', PLACED)).toBe(1);
  expect(text).toMatch(/queue_jobs\{queue="\{notification-events\}",state="waiting",service="monolith"\}/);
  const labelled = text.split('\n').filter((line) => !line.startsWith('#') && line.includes('{'));
  expect(labelled.filter((line) => UUID.test(line))).toEqual([]);
});
