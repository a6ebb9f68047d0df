import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/testing/http-client.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import { ProductCatalogApi, type ProductView } from './contract.js';

interface Page {
  items: ProductView[];
  nextCursor: string | null;
}

let t: TestPlatform;
let adminToken: string;
let sequence = 0;

async function create(name: string, overrides: Record<string, unknown> = {}): Promise<ProductView> {
  const body = { sku: `S-${Date.now()}-${++sequence}`, name, description: '', priceCents: 1000, currency: 'EUR', stock: 5, ...overrides };
  const res = await t.http.post<ProductView>('/api/v1/products', { token: adminToken, body });
  expect(res.status).toBe(201);
  return res.body;
}

const search = (query: string) => t.http.get<Page>(`/api/v1/products?${query}`);
const names = (page: Page) => page.items.map((item) => item.name);

/** Follows nextCursor to the end, as a client would. */
async function walk(query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const res: HttpResponse<Page> = await search(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((item) => item.id));
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor && pages < 100);
  return { ids, pages };
}

function expectProblem(res: HttpResponse<unknown>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
}

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  adminToken = (await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } })).body.accessToken as string;
});

afterAll(async () => {
  await t?.close();
});

describe('full-text search', () => {
  it('ranks a match in the name before a match in the description, equal ranks in id order', async () => {
    const towel = await create('Kitchen towel', { description: 'Goes well with a walnut board, or two walnut boards' });
    const board = await create('Walnut cutting board', { description: 'Oiled hardwood' });
    const spoon = await create('Walnut spoon');
    const unrelated = await create('Oak spoon');
    const res = await search('q=walnut');
    expect(res.status).toBe(200);
    expect(res.body.items.map((p) => p.id)).toEqual([board.id, spoon.id, towel.id]);
    expect(res.body.items.map((p) => p.id)).not.toContain(unrelated.id);
  });

  it('finds words in any case, by SKU, and understands search-box syntax', async () => {
    const kettle = await create('Stovetop kettle', { sku: `KETTLE-${Date.now()}`, description: 'Whistles when the water boils' });
    const electric = await create('Electric kettle', { description: 'Boils water in two minutes' });
    expect(names((await search('q=KETTLE')).body)).toEqual(expect.arrayContaining(['Stovetop kettle', 'Electric kettle']));
    expect((await search(`q=${kettle.sku.toLowerCase()}`)).body.items.map((p) => p.id)).toEqual([kettle.id]);
    expect((await search(`q=${encodeURIComponent('kettle -electric')}`)).body.items.map((p) => p.id)).toEqual([kettle.id]);
    expect((await search(`q=${encodeURIComponent('"water in two"')}`)).body.items.map((p) => p.id)).toEqual([electric.id]);
  });

  it('treats hostile or empty search text as text', async () => {
    for (const q of ["'); DROP TABLE products; --", '!!!', '&|:*', '   ', '"unbalanced', 'a'.repeat(200)]) {
      const res = await search(`q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(Array.isArray(res.body.items)).toBe(true);
    }
    expect((await search('q=kettle')).body.items.length).toBeGreaterThan(0);
  });
});

describe('filters', () => {
  it('keeps prices within an inclusive range', async () => {
    const tag = `ranged${Date.now()}`;
    await create(`${tag} cheap`, { priceCents: 500 });
    await create(`${tag} middle`, { priceCents: 1500 });
    await create(`${tag} dear`, { priceCents: 2500 });
    expect(names((await search(`q=${tag}&minPriceCents=1500`)).body).sort()).toEqual([`${tag} dear`, `${tag} middle`]);
    expect(names((await search(`q=${tag}&maxPriceCents=1500`)).body).sort()).toEqual([`${tag} cheap`, `${tag} middle`]);
    expect(names((await search(`q=${tag}&minPriceCents=501&maxPriceCents=2499`)).body)).toEqual([`${tag} middle`]);
  });

  it('tells what can be ordered now from what cannot, reserved units included', async () => {
    const tag = `stocked${Date.now()}`;
    await create(`${tag} plenty`, { stock: 3 });
    await create(`${tag} none`, { stock: 0 });
    const held = await create(`${tag} all held`, { stock: 2 });
    const catalog = t.platform.modules.find((m) => m.definition.name === 'product')!.container.cradle.facades.get(ProductCatalogApi);
    expect(await catalog.reserveInventory({ reservationId: `hold-all-${held.id}`, items: [{ productId: held.id, quantity: 2 }] })).toEqual({ ok: true });

    expect(names((await search(`q=${tag}&inStock=true`)).body)).toEqual([`${tag} plenty`]);
    expect(names((await search(`q=${tag}&inStock=false`)).body).sort()).toEqual([`${tag} all held`, `${tag} none`]);
    expect((await search(`q=${tag}`)).body.items).toHaveLength(3);
  });
});

describe('cursor pagination', () => {
  it('walks every match of a search once, in rank order, across equal ranks', async () => {
    const tag = `paged${Date.now()}`;
    // Equal-ranked names (ties broken by id) mixed with weaker description matches.
    for (let i = 0; i < 9; i += 1) await create(`${tag} item`);
    for (let i = 0; i < 5; i += 1) await create(`Plain thing ${i}`, { description: `mentions ${tag}` });
    const all = await search(`q=${tag}&limit=100`);
    expect(all.body.items).toHaveLength(14);
    expect(all.body.nextCursor).toBeNull();

    const walked = await walk(`q=${tag}&limit=4`);
    expect(walked.pages).toBe(4);
    expect(walked.ids).toEqual(all.body.items.map((p) => p.id));
  });

  it('walks the whole catalogue by name without duplicates or gaps', async () => {
    await create('Aardvark figurine');
    await create('Aardvark figurine');
    const everything = await search('limit=100');
    const walked = await walk('limit=3');
    expect(new Set(walked.ids).size).toBe(walked.ids.length);
    expect(walked.ids).toEqual(everything.body.items.map((p) => p.id));
    // Names sort by the database's collation; equal names by id.
    const items = everything.body.items;
    const twins = items.filter((p) => p.name === 'Aardvark figurine').map((p) => p.id);
    expect(twins).toEqual([...twins].sort());
    expect(items.findIndex((p) => p.name === 'Aardvark figurine')).toBe(0);
  });

  it('keeps filters while paging', async () => {
    const tag = `filtered${Date.now()}`;
    for (let i = 0; i < 6; i += 1) await create(`${tag} ${i}`, { priceCents: i * 100 });
    const walked = await walk(`q=${tag}&minPriceCents=200&limit=2`);
    expect(walked.ids).toHaveLength(4);
  });
});

describe('bad query values are a 400 problem, never a 5xx', () => {
  const rankCursor = Buffer.from(JSON.stringify({ by: 'rank', rank: 0.5, id: '0190a000-0000-7000-8000-000000000000' })).toString('base64url');
  it.each([
    ['a negative price', 'minPriceCents=-1', 'validation-failed'],
    ['a fractional price', 'maxPriceCents=1.5', 'validation-failed'],
    ['a price as words', 'minPriceCents=ten', 'validation-failed'],
    ['a price over the limit', 'maxPriceCents=999999999', 'validation-failed'],
    ['min above max', 'minPriceCents=500&maxPriceCents=100', 'validation-failed'],
    ['limit 0', 'limit=0', 'validation-failed'],
    ['limit 1000', 'limit=1000', 'validation-failed'],
    ['an empty limit', 'limit=', 'validation-failed'],
    ['inStock=yes', 'inStock=yes', 'validation-failed'],
    ['a repeated parameter', 'limit=5&limit=6', 'validation-failed'],
    ['an unknown parameter', 'sort=price', 'validation-failed'],
    ['a search of 201 characters', `q=${'x'.repeat(201)}`, 'validation-failed'],
    ['a garbage cursor', 'cursor=not-a-cursor', 'invalid-cursor'],
    ['a cursor of base64 garbage', `cursor=${Buffer.from('{"by":"name"').toString('base64url')}`, 'invalid-cursor'],
    ['a tampered cursor', `cursor=${Buffer.from(JSON.stringify({ by: 'name', name: 'x', id: "1' OR 1=1" })).toString('base64url')}`, 'invalid-cursor'],
    ['a search cursor on a listing', `cursor=${rankCursor}`, 'invalid-cursor'],
  ])('%s → 400', async (_name, query, code) => {
    expectProblem(await search(query), 400, code);
  });

  it('a listing cursor on a search → 400', async () => {
    await create('Cursor probe one');
    await create('Cursor probe two');
    const listing = await search('limit=1');
    expect(listing.body.nextCursor).toEqual(expect.any(String));
    expectProblem(await search(`q=probe&cursor=${listing.body.nextCursor}`), 400, 'invalid-cursor');
  });
});
