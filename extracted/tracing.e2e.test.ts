import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEV_SECRETS } from '../src/config/config.js';
import { DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT } from '../src/observability/tracing-sdk.js';
import { eventually } from '../src/testing/eventually.js';
import { HttpClient } from '../src/testing/http-client.js';
import { startTraceCollector, type CollectedSpan } from '../src/testing/trace-collector.js';
import { provisionTestSite, startProcess, type RunningProcess, type TestSite } from '../src/testing/test-processes.js';
import { login, newCustomer, newProduct } from '../modules/order/testing/shop.js';

/**
 * One order, one trace: placed through the front door with order extracted, its spans come
 * from both processes (exported over OTLP to a collector stand-in) and share one trace id.
 */
let site: TestSite;
let collector: Awaited<ReturnType<typeof startTraceCollector>>;
const running: RunningProcess[] = [];

beforeAll(async () => {
  site = await provisionTestSite();
  collector = await startTraceCollector();
});
afterAll(async () => {
  await Promise.all(running.map((process) => process.stop()));
  await collector?.close();
  await site?.close();
});

it('follows one order across the proxy, the extracted service, the relay, the payment consumer and every saga step', async () => {
  const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url };
  const instrument = ['--import', './src/observability/instrument.ts'];
  const monolith = await startProcess('scripts/start.ts', { ...site.env, ...traced }, instrument);
  running.push(monolith);
  running.push(await startProcess('extracted/order-service/main.ts', { ...site.env, ...traced }, instrument));
  const http = new HttpClient(monolith.url);
  const adminToken = await login(http, 'admin@example.com', DEV_SECRETS.ADMIN_PASSWORD);
  expect((await http.put('/admin/routes/order', { token: adminToken, body: { mode: 'remote' } })).status).toBe(200);
  const customer = await newCustomer(http, ['approves']);
  const productId = await newProduct(http, adminToken, 5);

  const correlationId = `trace-test-${randomUUID()}`;
  const placed = await http.post<{ id: string }>('/api/v1/orders', {
    token: customer.token, headers: { 'idempotency-key': randomUUID(), 'x-request-id': correlationId },
    body: { items: [{ productId, quantity: 1 }], paymentMethodId: customer.cards.approves },
  });
  expect(placed.status).toBe(202);
  expect(placed.headers.get('x-served-by')).toBe('order-service');
  await eventually(async () => {
    expect((await http.get<{ status: string }>(`/api/v1/orders/${placed.body.id}`, { token: customer.token })).body.status).toBe('CONFIRMED');
  }, 20_000, 100);

  const proxyHop = await eventually(() => {
    const span = collector.spans.find((s) => s.service === 'monolith' && s.name === 'strangler.proxy order' && s.attributes['http.request.method'] === undefined);
    expect(span).toBeDefined();
    return span!;
  }, 10_000, 100);
  const trace = (): CollectedSpan[] => collector.spans.filter((span) => span.traceId === proxyHop.traceId);
  const expected = [
    ['monolith', 'strangler.proxy order'],
    ['order-service', 'saga.step place-order/create-order'],
    ['order-service', 'saga.step place-order/reserve-inventory'],
    ['order-service', 'saga.step place-order/request-payment'],
    // Both processes host order, so either one's relay may have queued the event.
    ['any', 'outbox.relay PaymentRequested'],
    ['monolith', 'event.handle PaymentRequested'],
    // The payment's outcome wakes the saga in whichever process hosting order takes it first.
    ['any', 'saga.step place-order/confirm-order'],
  ];
  await eventually(() => {
    const names = new Set(trace().flatMap((span) => [`${span.service} ${span.name}`, `any ${span.name}`]));
    expect(expected.filter(([service, name]) => !names.has(`${service} ${name}`)), [...names].join('\n')).toEqual([]);
  }, 15_000, 200);
  // One span for the route that served the POST, not one for each of its middleware.
  expect(trace().filter((span) => span.name === 'router - /api/v1/orders').map((span) => span.service)).toEqual(['order-service']);
  // The extracted service's side of the hop is a server span of the same trace.
  expect(trace().some((span) => span.service === 'order-service' && span.kind === 2)).toBe(true);
  // A prepared statement's span is named by its label; its SQL, a CTE of over a kilobyte, is cut to the default limit.
  const append = trace().find((span) => span.name.startsWith('pg.query:order-stream-append.'));
  expect(append?.attributes['db.query.text']).toMatch(/^WITH appended AS/);
  expect(String(append?.attributes['db.query.text'])).toHaveLength(DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT);

  // A line logged inside a queue handler, in another process than the request, names the
  // request's correlation id and the trace it belongs to.
  const lines = monolith.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const handled = lines.find((line) => line.msg === 'payment request handled' && line.correlationId === correlationId);
  expect(handled).toMatchObject({ module: 'payment', traceId: proxyHop.traceId, spanId: expect.stringMatching(/^[0-9a-f]{16}$/) });
  // And no process wrote a password, a token or a card number.
  for (const process of running) {
    for (const secret of ['a long enough password', customer.token, '4242424242424242']) expect(process.output()).not.toContain(secret);
  }
}, 120_000);

it('leaves out the PostgreSQL spans, and only those, when OTEL_NODE_DISABLED_INSTRUMENTATIONS names pg', async () => {
  const serviceName = 'monolith-without-pg';
  const monolith = await startProcess('scripts/start.ts', {
    ...site.env, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: serviceName, OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
  }, ['--import', './src/observability/instrument.ts']);
  running.push(monolith);
  // A catalogue search reads the database in the request's own trace.
  const search = await new HttpClient(monolith.url).get<{ items: unknown[] }>('/api/v1/products?q=anything');
  expect(search.status).toBe(200);
  const server = await eventually(() => {
    const span = collector.spans.find((s) => s.service === serviceName && s.name === 'GET /api/v1/products');
    expect(span).toBeDefined();
    return span!;
  }, 10_000, 100);
  const trace = collector.spans.filter((span) => span.traceId === server.traceId);
  expect(trace.map((span) => span.name)).toContain('router - /api/v1/products');
  expect(trace.filter((span) => span.name.startsWith('pg.'))).toEqual([]);
}, 60_000);
