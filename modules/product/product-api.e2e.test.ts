import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/testing/http-client.js';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import { ProductView } from './contract.js';
import { DEMO_PRODUCTS } from './seed.js';

let t: TestPlatform;
let db: pg.Pool;
let adminToken: string;

let sequence = 0;
const newSku = () => `TEST-${Date.now()}-${++sequence}`;
const aProduct = (overrides: Record<string, unknown> = {}) => ({
  sku: newSku(), name: 'Espresso cup', description: 'A small porcelain cup', priceCents: 990, currency: 'EUR', stock: 12, ...overrides,
});

const outboxRows = async (aggregateId?: string) =>
  (await db.query(`SELECT event_type, aggregate_id, aggregate_version, data FROM products.outbox ${aggregateId ? 'WHERE aggregate_id = $1' : ''} ORDER BY position`, aggregateId ? [aggregateId] : [])).rows;
const productRow = async (id: string) => (await db.query('SELECT sku, name, description, price_cents, currency, on_hand, reserved, sold, version FROM products.products WHERE id = $1', [id])).rows[0];
const counts = async () => ({
  products: Number((await db.query('SELECT count(*) FROM products.products')).rows[0].count),
  events: Number((await db.query('SELECT count(*) FROM products.outbox')).rows[0].count),
});

function expectProblem(res: HttpResponse<unknown>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, title: expect.any(String) });
}

async function created(overrides: Record<string, unknown> = {}) {
  const res = await t.http.post('/api/v1/products', { token: adminToken, body: aProduct(overrides) });
  expect(res.status).toBe(201);
  return res.body as { id: string; sku: string; version: number };
}

async function customerToken() {
  const email = `shopper-${Date.now()}-${++sequence}@example.com`;
  expect((await t.http.post('/api/v1/auth/register', { body: { email, password: 'correct horse battery' } })).status).toBe(201);
  return (await t.http.post('/api/v1/auth/login', { body: { email, password: 'correct horse battery' } })).body.accessToken as string;
}

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  db = new pg.Pool({ connectionString: t.adminDatabaseUrl, max: 2 });
  const login = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
  adminToken = login.body.accessToken as string;
});

afterAll(async () => {
  await db?.end();
  await t?.close();
});

describe('an admin manages the catalogue', () => {
  it('creates a product and anyone can read it', async () => {
    const input = aProduct({ sku: ` tea-${Date.now()} `, name: 'Green tea', stock: 7 });
    const res = await t.http.post('/api/v1/products', { token: adminToken, body: input });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), sku: input.sku.trim().toUpperCase(), name: 'Green tea', description: input.description,
      priceCents: 990, currency: 'EUR', available: 7, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(res.headers.get('location')).toBe(`/api/v1/products/${res.body.id}`);

    expect(ProductView.safeParse(res.body).success).toBe(true);

    const read = await t.http.get(`/api/v1/products/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it('records ProductCreated with the product in the same transaction', async () => {
    const product = await created({ stock: 3 });
    const events = await outboxRows(product.id);
    expect(events).toEqual([{
      event_type: 'ProductCreated', aggregate_id: product.id, aggregate_version: 1,
      data: { productId: product.id, sku: product.sku, name: 'Espresso cup', priceCents: 990, currency: 'EUR', stock: 3 },
    }]);
    // The relay then hands it to the bus for the modules that listen.
    await eventually(async () => {
      const { rows } = await db.query('SELECT published_at FROM products.outbox WHERE aggregate_id = $1', [product.id]);
      expect(rows[0].published_at).not.toBeNull();
    });
  });

  it('updates fields, bumps the version and raises ProductUpdated with only the changed fields', async () => {
    const product = await created();
    const res = await t.http.patch(`/api/v1/products/${product.id}`, { token: adminToken, body: { name: 'Espresso cup', priceCents: 1250, description: 'Now with a saucer' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Espresso cup', priceCents: 1250, description: 'Now with a saucer', version: 2 });

    const events = await outboxRows(product.id);
    expect(events.map((e) => [e.event_type, e.aggregate_version])).toEqual([['ProductCreated', 1], ['ProductUpdated', 2]]);
    expect(events[1].data).toEqual({
      productId: product.id, changed: ['description', 'priceCents'],
      product: { sku: product.sku, name: 'Espresso cup', description: 'Now with a saucer', priceCents: 1250, currency: 'EUR' },
    });
  });

  it('raises no event and keeps the version for a patch that changes nothing', async () => {
    const product = await created();
    const res = await t.http.patch(`/api/v1/products/${product.id}`, { token: adminToken, body: { priceCents: 990, currency: 'EUR' } });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(1);
    expect(await outboxRows(product.id)).toHaveLength(1);
  });

  it('sets the stock and raises InventoryChanged', async () => {
    const product = await created({ stock: 12 });
    const res = await t.http.put(`/api/v1/products/${product.id}/stock`, { token: adminToken, body: { stock: 30 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ available: 30, version: 2 });
    const events = await outboxRows(product.id);
    expect(events[1]).toMatchObject({
      event_type: 'InventoryChanged', aggregate_version: 2,
      data: { productId: product.id, reason: 'stock-set', available: 30, reserved: 0, sold: 0 },
    });
    expect(await productRow(product.id)).toMatchObject({ on_hand: 30, reserved: 0, sold: 0 });
  });

  it('refuses a duplicate SKU with 409, whatever its case, and writes nothing', async () => {
    const product = await created();
    const before = await counts();
    const res = await t.http.post('/api/v1/products', { token: adminToken, body: aProduct({ sku: product.sku.toLowerCase() }) });
    expectProblem(res, 409, 'sku-already-exists');
    expect(await counts()).toEqual(before);
  });

  it('answers 404 for an unknown product and for an id that is not a uuid', async () => {
    expectProblem(await t.http.get('/api/v1/products/0190a000-0000-7000-8000-000000000000'), 404, 'product-not-found');
    expectProblem(await t.http.get('/api/v1/products/not-a-uuid'), 404, 'product-not-found');
    expectProblem(await t.http.get(`/api/v1/products/${encodeURIComponent("1' OR '1'='1")}`), 404, 'product-not-found');
    expectProblem(await t.http.patch('/api/v1/products/not-a-uuid', { token: adminToken, body: { name: 'x' } }), 404, 'product-not-found');
    expectProblem(await t.http.put('/api/v1/products/0190a000-0000-7000-8000-000000000000/stock', { token: adminToken, body: { stock: 1 } }), 404, 'product-not-found');
  });
});

describe('only an admin changes the catalogue', () => {
  const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl';

  it('forbids a customer every admin route with 403 and changes nothing', async () => {
    const product = await created();
    const token = await customerToken();
    const before = await counts();
    expectProblem(await t.http.post('/api/v1/products', { token, body: aProduct() }), 403, 'forbidden');
    expectProblem(await t.http.patch(`/api/v1/products/${product.id}`, { token, body: { priceCents: 1 } }), 403, 'forbidden');
    expectProblem(await t.http.put(`/api/v1/products/${product.id}/stock`, { token, body: { stock: 0 } }), 403, 'forbidden');
    expect(await counts()).toEqual(before);
    expect(await productRow(product.id)).toMatchObject({ price_cents: 990, on_hand: 12, version: 1 });
    // Reading stays public.
    expect((await t.http.get(`/api/v1/products/${product.id}`, { token })).status).toBe(200);
  });

  it.each([
    ['no token', {}],
    ['a forged token', { token: forged }],
  ])('answers 401 to %s on every admin route', async (_name, auth) => {
    const product = await created();
    expectProblem(await t.http.post('/api/v1/products', { ...auth, body: aProduct() }), 401, 'unauthenticated');
    expectProblem(await t.http.patch(`/api/v1/products/${product.id}`, { ...auth, body: { priceCents: 1 } }), 401, 'unauthenticated');
    expectProblem(await t.http.put(`/api/v1/products/${product.id}/stock`, { ...auth, body: { stock: 0 } }), 401, 'unauthenticated');
    expect(await productRow(product.id)).toMatchObject({ price_cents: 990, on_hand: 12, version: 1 });
  });
});

describe('bad input is a problem+json 4xx that changes nothing', () => {
  it.each([
    ['a missing field', { sku: 'MISSING-1', name: 'x', currency: 'EUR' }],
    ['a price as text', aProduct({ priceCents: '990' })],
    ['a fractional price', aProduct({ priceCents: 9.5 })],
    ['a negative price', aProduct({ priceCents: -1 })],
    ['a price over the limit', aProduct({ priceCents: 100_000_001 })],
    ['a negative stock', aProduct({ stock: -1 })],
    ['a stock over the limit', aProduct({ stock: 1_000_001 })],
    ['a lower-case currency', aProduct({ currency: 'eur' })],
    ['a currency that does not exist', aProduct({ currency: 'XYZ' })],
    ['a SKU with spaces inside', aProduct({ sku: 'A B' })],
    ['a one-letter SKU', aProduct({ sku: 'A' })],
    ['a SKU of 65 characters', aProduct({ sku: 'A'.repeat(65) })],
    ['a blank name', aProduct({ name: '   ' })],
    ['a name of 201 characters', aProduct({ name: 'n'.repeat(201) })],
    ['a description of 5001 characters', aProduct({ description: 'd'.repeat(5001) })],
    ['an unknown field', aProduct({ reserved: 5 })],
    ['a JSON array', [aProduct()]],
  ])('POST /products with %s → 400', async (_name, body) => {
    const before = await counts();
    expectProblem(await t.http.post('/api/v1/products', { token: adminToken, body }), 400, 'validation-failed');
    expect(await counts()).toEqual(before);
  });

  it('POST /products with malformed JSON or a bare null → 400, with a huge body → 413', async () => {
    const before = await counts();
    expectProblem(await t.http.post('/api/v1/products', { token: adminToken, rawBody: 'null' }), 400, 'bad-request');
    expectProblem(await t.http.post('/api/v1/products', { token: adminToken, rawBody: '{"sku": "X-1",' }), 400, 'bad-request');
    expectProblem(await t.http.post('/api/v1/products', { token: adminToken, body: aProduct({ description: 'd'.repeat(200_000) }) }), 413, 'payload-too-large');
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['an empty patch', {}],
    ['a SKU change (SKUs are for ever)', { sku: 'NEW-SKU' }],
    ['an unknown field', { name: 'ok', stock: 3 }],
    ['a wrong type', { priceCents: '12' }],
    ['a null name', { name: null }],
    ['a negative price', { priceCents: -5 }],
    ['a bad currency', { currency: 'EURO' }],
    ['a huge name', { name: 'n'.repeat(5000) }],
  ])('PATCH /products/:id with %s → 400', async (_name, body) => {
    const product = await created();
    expectProblem(await t.http.patch(`/api/v1/products/${product.id}`, { token: adminToken, body }), 400, 'validation-failed');
    expect(await productRow(product.id)).toMatchObject({ name: 'Espresso cup', price_cents: 990, currency: 'EUR', version: 1 });
    expect(await outboxRows(product.id)).toHaveLength(1);
  });

  it.each([
    ['a negative stock', { stock: -1 }],
    ['a fractional stock', { stock: 1.5 }],
    ['a stock as text', { stock: '5' }],
    ['a stock over the limit', { stock: 2_000_000 }],
    ['an unknown field', { stock: 5, reserved: 0 }],
    ['no stock', {}],
  ])('PUT /products/:id/stock with %s → 400', async (_name, body) => {
    const product = await created();
    expectProblem(await t.http.put(`/api/v1/products/${product.id}/stock`, { token: adminToken, body }), 400, 'validation-failed');
    expect(await productRow(product.id)).toMatchObject({ on_hand: 12, version: 1 });
  });

  it('refuses to set the stock below the reserved units with 409 and says why', async () => {
    const product = await created({ stock: 5 });
    const catalog = t.platform.modules.find((m) => m.definition.name === 'product')!;
    const { ProductCatalogApi } = await import('./contract.js');
    const facade = catalog.container.cradle.facades.get(ProductCatalogApi);
    expect(await facade.reserveInventory({ reservationId: `hold-${product.id}`, items: [{ productId: product.id, quantity: 3 }] })).toEqual({ ok: true });

    const res = await t.http.put(`/api/v1/products/${product.id}/stock`, { token: adminToken, body: { stock: 2 } });
    expectProblem(res, 409, 'stock-below-reserved');
    expect(res.body.detail).toMatch(/3 units are held/);
    expect(await productRow(product.id)).toMatchObject({ on_hand: 5, reserved: 3 });

    const exact = await t.http.put(`/api/v1/products/${product.id}/stock`, { token: adminToken, body: { stock: 3 } });
    expect(exact.status).toBe(200);
    expect(exact.body.available).toBe(0);
  });
});

describe('demo data', () => {
  it('is seeded on request only, and a second run adds nothing', async () => {
    const hosted = t.platform.modules.find((m) => m.definition.name === 'product')!;
    const demoCount = async () => Number((await db.query('SELECT count(*) FROM products.products WHERE sku = ANY($1)', [DEMO_PRODUCTS.map((p) => p.sku)])).rows[0].count);
    await hosted.definition.seed!(hosted.container, { demoData: false });
    expect(await demoCount()).toBe(0);
    await hosted.definition.seed!(hosted.container, { demoData: true });
    await hosted.definition.seed!(hosted.container, { demoData: true });
    expect(await demoCount()).toBe(DEMO_PRODUCTS.length);
    const listed = await t.http.get('/api/v1/products?q=keyboard');
    expect((listed.body.items as { sku: string }[]).map((p) => p.sku)).toContain('KB-MECH-01');
  });
});
