import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../../modules/registry.js';
import { eventually } from '../../testing/eventually.js';
import { OpenApiConformance } from '../../testing/openapi-conformance.js';
import { startTestPlatform, type TestPlatform } from '../../testing/test-platform.js';

/**
 * A shop's day through every documented operation, each answer recorded and then checked
 * against /openapi.json: status, media type, required headers and body. The check fails for
 * an answer the document does not allow and for an operation the day never reached.
 */
let t: TestPlatform;
let adminToken: string;
const customer = { email: `conformance-${randomUUID()}@example.com`, password: 'correct horse battery', token: '', cardId: '' };
let productId: string;
let orderId: string;

const as = (token: string) => ({ token });
const login = async (email: string, password: string) => (await t.http.post('/api/v1/auth/login', { body: { email, password } })).body.accessToken as string;

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  adminToken = await login(t.config.ADMIN_EMAIL, t.config.ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.close();
});

describe('a shop\'s day, operation by operation', () => {
  it('an operator probes the process and reads its description', async () => {
    expect((await t.http.get('/healthz')).status).toBe(200);
    expect((await t.http.get('/readyz')).status).toBe(200);
    expect((await t.http.get('/openapi.json')).status).toBe(200);
  });

  it('a customer signs up, signs in and keeps a profile', async () => {
    expect((await t.http.post('/api/v1/auth/register', { body: { email: customer.email, password: customer.password, firstName: 'Ada' } })).status).toBe(201);
    expect((await t.http.post('/api/v1/auth/register', { body: { email: customer.email, password: customer.password } })).status).toBe(409);
    expect((await t.http.post('/api/v1/auth/register', { body: { email: 'no', password: 'short', isAdmin: true } })).status).toBe(400);
    expect((await t.http.post('/api/v1/auth/login', { body: { email: customer.email, password: 'wrong password' } })).status).toBe(401);
    customer.token = await login(customer.email, customer.password);
    expect((await t.http.get('/api/v1/users/me', as(customer.token))).status).toBe(200);
    expect((await t.http.get('/api/v1/users/me')).status).toBe(401);
    const address = { line1: '1 Main Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' };
    expect((await t.http.patch('/api/v1/users/me', { ...as(customer.token), body: { lastName: 'Lovelace', phone: '020 7946 0000', address } })).status).toBe(200);
    expect((await t.http.put('/api/v1/users/me/preferences', { ...as(customer.token), body: { email: true, sms: true, push: false } })).status).toBe(200);
    expect((await t.http.get('/api/v1/users?limit=5', as(adminToken))).status).toBe(200);
    expect((await t.http.get('/api/v1/users', as(customer.token))).status).toBe(403);
  });

  it('an admin stocks the catalogue, and anyone searches it', async () => {
    const created = await t.http.post('/api/v1/products', { ...as(adminToken), body: { sku: `CONF-${Date.now()}`, name: 'Conformance kettle', priceCents: 2_500, currency: 'EUR', stock: 5 } });
    expect(created.status).toBe(201);
    productId = created.body.id as string;
    expect((await t.http.get('/api/v1/products?q=kettle&limit=5')).status).toBe(200);
    expect((await t.http.get('/api/v1/products?cursor=forged')).status).toBe(400);
    expect((await t.http.get(`/api/v1/products/${productId}`)).status).toBe(200);
    expect((await t.http.get(`/api/v1/products/${randomUUID()}`)).status).toBe(404);
    expect((await t.http.patch(`/api/v1/products/${productId}`, { ...as(adminToken), body: { description: 'Whistles' } })).status).toBe(200);
    expect((await t.http.put(`/api/v1/products/${productId}/stock`, { ...as(adminToken), body: { stock: 8 } })).status).toBe(200);
    expect((await t.http.put(`/api/v1/products/${productId}/stock`, { ...as(adminToken), body: { stock: -1 } })).status).toBe(400);
  });

  it('the customer saves a card', async () => {
    const card = await t.http.post('/api/v1/payment-methods', { ...as(customer.token), body: { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' } });
    expect(card.status).toBe(201);
    customer.cardId = card.body.id as string;
    expect((await t.http.post('/api/v1/payment-methods', { ...as(customer.token), body: { cardNumber: '4242424242424242', expMonth: 1, expYear: 2020, cvc: '123' } })).status).toBe(422);
    expect((await t.http.get('/api/v1/payment-methods', as(customer.token))).status).toBe(200);
  });

  it('orders, and follows the order to CONFIRMED', async () => {
    const order = { items: [{ productId, quantity: 2 }], paymentMethodId: customer.cardId };
    const key = randomUUID();
    const placed = await t.http.post('/api/v1/orders', { ...as(customer.token), headers: { 'idempotency-key': key }, body: order });
    expect(placed.status).toBe(202);
    orderId = placed.body.id as string;
    const again = await t.http.post('/api/v1/orders', { ...as(customer.token), headers: { 'idempotency-key': key }, body: order });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await t.http.post('/api/v1/orders', { ...as(customer.token), body: order })).status).toBe(400);
    expect((await t.http.post('/api/v1/orders', { ...as(customer.token), headers: { 'idempotency-key': randomUUID() }, body: { ...order, items: [{ productId: randomUUID(), quantity: 1 }] } })).status).toBe(422);
    await eventually(async () => expect((await t.http.get(`/api/v1/orders/${orderId}`, as(customer.token))).body.status).toBe('CONFIRMED'), 20_000, 100);
    expect((await t.http.get('/api/v1/orders?limit=5', as(customer.token))).status).toBe(200);
    expect((await t.http.get(`/api/v1/orders/${orderId}/history`, as(customer.token))).status).toBe(200);
    expect((await t.http.get('/api/v1/orders/not-an-order', as(customer.token))).status).toBe(404);
    expect((await t.http.get(`/api/v1/payments?orderId=${orderId}`, as(customer.token))).status).toBe(200);
  });

  it('an admin refunds part of the payment; the customer cancels, which refunds the rest', async () => {
    const [payment] = (await t.http.get<{ items: { id: string }[] }>(`/api/v1/payments?orderId=${orderId}`, as(adminToken))).body.items;
    expect((await t.http.post(`/api/v1/payments/${payment!.id}/refunds`, { ...as(adminToken), headers: { 'idempotency-key': `part-${orderId}` }, body: { amountCents: 1_000 } })).status).toBe(201);
    expect((await t.http.post(`/api/v1/payments/${payment!.id}/refunds`, { ...as(adminToken), body: { amountCents: 1_000_000 } })).status).toBe(422);
    expect((await t.http.post(`/api/v1/payments/${randomUUID()}/refunds`, { ...as(adminToken), body: { amountCents: 1 } })).status).toBe(404);
    expect((await t.http.post(`/api/v1/orders/${orderId}/cancel`, as(customer.token))).status).toBe(200);
  });

  it('the customer reads what was sent to them', async () => {
    await eventually(async () => expect((await t.http.get<{ items: unknown[] }>('/api/v1/notifications', as(customer.token))).body.items.length).toBeGreaterThan(0));
  });

  it('an operator looks at sagas and events', async () => {
    const sagas = await t.http.get<{ items: { id: string; lockKey: string | null }[] }>('/admin/sagas?limit=50', as(adminToken));
    const saga = sagas.body.items.find((item) => item.lockKey === orderId)!;
    expect((await t.http.get(`/admin/sagas/${saga.id}`, as(adminToken))).status).toBe(200);
    expect((await t.http.get(`/admin/sagas/${randomUUID()}`, as(adminToken))).status).toBe(404);
    expect((await t.http.post(`/admin/sagas/${saga.id}/retry`, as(adminToken))).status).toBe(409);
    expect((await t.http.get('/admin/events/dead-letters', as(adminToken))).status).toBe(200);
    expect((await t.http.post('/admin/events/dead-letters/replay', { ...as(adminToken), body: {} })).status).toBe(200);
    expect((await t.http.get(`/admin/events/trace?key=${orderId}`, as(adminToken))).status).toBe(200);
    expect((await t.http.get('/admin/events/stats', as(adminToken))).status).toBe(200);
  });

  it('an operator looks at routes, circuits and faults', async () => {
    expect((await t.http.get('/admin/routes', as(adminToken))).status).toBe(200);
    expect((await t.http.get('/admin/modules', as(adminToken))).status).toBe(200);
    expect((await t.http.get('/admin/routes/order', as(adminToken))).status).toBe(200);
    expect((await t.http.get('/admin/routes/nope', as(adminToken))).status).toBe(404);
    // Nothing extracted runs here: sending order traffic away is refused rather than lost.
    expect((await t.http.put('/admin/routes/order', { ...as(adminToken), body: { mode: 'remote' } })).status).toBe(409);
    expect((await t.http.put('/admin/routes/order', { ...as(adminToken), body: { mode: 'local' } })).status).toBe(200);
    expect((await t.http.get('/admin/routes/order/shadow', as(adminToken))).status).toBe(200);
    expect((await t.http.get('/admin/resilience', as(adminToken))).status).toBe(200);
    expect((await t.http.post('/admin/resilience/proxy.order/isolate', as(adminToken))).status).toBe(404);
    expect((await t.http.post('/admin/resilience/proxy.order/reset', as(adminToken))).status).toBe(404);
    expect((await t.http.get('/admin/faults', as(adminToken))).status).toBe(200);
    expect((await t.http.put('/admin/faults/proxy.order', { ...as(adminToken), body: { abortRatio: 0.5 } })).status).toBe(409);
    expect((await t.http.request('DELETE', '/admin/faults/proxy.order', as(adminToken))).status).toBe(204);
  });
});

describe('the answers of the day', () => {
  it('all conform to /openapi.json, and reached every operation it documents', () => {
    const report = new OpenApiConformance(t.platform.http.document).check(t.exchanges);
    expect(report.violations).toEqual([]);
    expect(report.documented.filter((operation) => !report.exercised.has(operation))).toEqual([]);
  });
});
