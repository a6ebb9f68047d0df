import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SECRETS } from '../src/config/config.js';
import { ServiceDirectory } from '../src/proxy/service-directory.js';
import { isProblem } from '../src/http/problem.js';
import { createLogger } from '../src/observability/logger.js';
import { ModuleCaller } from '../src/resilience/module-caller.js';
import { remoteFacade } from '../src/resilience/remote-facade.js';
import { Resilience } from '../src/resilience/resilience.js';
import { ServiceTokens } from '../src/security/service-tokens.js';
import { startTestPlatform, type TestPlatform } from '../src/testing/test-platform.js';
import { ProductCatalogApi, RESERVATION_NOT_HELD, type ProductCatalog } from '../modules/product/index.js';
import { allModules } from '../modules/registry.js';

/**
 * A module reached through its typed HTTP client behaves as the in-process facade does:
 * same answers, same idempotency, the same problems (status and code), and only for callers
 * holding a service token issued for that module.
 */
let t: TestPlatform;
let local: ProductCatalog;
let remote: ProductCatalog;
let productId: string;
const log = createLogger({ level: 'silent', pretty: false });

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  await t.platform.announce(t.http.baseUrl);
  local = t.platform.modules.find((module) => module.definition.name === 'product')!.container.cradle.facades.get(ProductCatalogApi);
  // A caller elsewhere: its own directory (this platform is not "itself"), tokens and policies.
  const network = t.platform.network;
  const caller = new ModuleCaller({
    directory: new ServiceDirectory(network.registry, 'another-process', { refreshMs: 1_000, ejectAfterFailures: 3, ejectionMs: 1_000 }, log),
    routes: network.routes, pools: network.pools,
    tokens: new ServiceTokens(DEV_SECRETS.INTERNAL_TOKEN_SECRET, 'order-service'),
    policies: new Resilience({ log }),
  });
  remote = remoteFacade(ProductCatalogApi, caller);
  const admin = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
  const created = await t.http.post('/api/v1/products', {
    token: admin.body.accessToken as string, body: { sku: `MC-${uuidv7()}`, name: 'Remote mug', description: '', priceCents: 700, currency: 'EUR', stock: 3 },
  });
  productId = created.body.id as string;
});
afterAll(async () => { await t?.close(); });

describe('a facade over HTTP', () => {
  it('answers what the in-process facade answers', async () => {
    const items = [{ productId, quantity: 2 }];
    expect(await remote.priceItems(items)).toEqual(await local.priceItems(items));
    expect(await remote.priceItems([{ productId: uuidv7(), quantity: 1 }])).toMatchObject({ ok: false, reason: 'unknown-product' });
  });

  it('stays idempotent when a call is repeated, and never oversells', async () => {
    const reservationId = `order-${uuidv7()}`;
    const hold = { reservationId, items: [{ productId, quantity: 2 }] };
    expect(await remote.reserveInventory(hold)).toEqual({ ok: true });
    expect(await remote.reserveInventory(hold)).toEqual({ ok: true });
    expect(await remote.reserveInventory({ reservationId: `order-${uuidv7()}`, items: [{ productId, quantity: 2 }] }))
      .toEqual({ ok: false, reason: 'out-of-stock', productIds: [productId] });
    expect(await remote.commitInventory({ reservationId })).toBeUndefined();
    expect(await remote.commitInventory({ reservationId })).toBeUndefined();
  });

  it('raises the callee\'s problem with its status and code', async () => {
    const local_ = await local.commitInventory({ reservationId: `order-${uuidv7()}` }).catch((error: unknown) => error);
    const remote_ = await remote.commitInventory({ reservationId: `order-${uuidv7()}` }).catch((error: unknown) => error);
    expect(isProblem(remote_) && { status: remote_.status, code: remote_.code }).toEqual(isProblem(local_) && { status: local_.status, code: local_.code });
    expect(isProblem(remote_) && remote_.code).toBe(RESERVATION_NOT_HELD);
  });

  it('is closed to callers without a service token issued for the module', async () => {
    const call = (headers: Record<string, string>) => t.http.post('/internal/product/priceItems', { headers, body: { argument: [] } });
    expect((await call({})).status).toBe(401);
    const forPayment = await new ServiceTokens(DEV_SECRETS.INTERNAL_TOKEN_SECRET, 'x').tokenFor('payment');
    expect((await call({ 'x-internal-token': forPayment })).status).toBe(401);
    const forProduct = await new ServiceTokens(DEV_SECRETS.INTERNAL_TOKEN_SECRET, 'x').tokenFor('product');
    expect((await call({ 'x-internal-token': forProduct })).status).toBe(200);
    expect((await t.http.post('/internal/product/dropEverything', { headers: { 'x-internal-token': forProduct }, body: { argument: {} } })).status).toBe(404);
  });
});
