import type Router from '@koa/router';
import { z } from 'zod';
import type { ModuleKernel } from '../../src/app/module-definition.js';
import { cradleOf } from '../../src/app/request-scope.js';
import { readBody, readQuery } from '../../src/http/validate.js';
import { Currency } from './contract.js';
import type { ProductServices } from './product-services.js';

const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const MAX_PRICE_CENTS = 100_000_000;

const Sku = z.string().trim().min(2).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');
const Name = z.string().trim().min(1).max(200);
const Description = z.string().trim().max(5000);
const PriceCents = z.number().int().min(0).max(MAX_PRICE_CENTS);
const IsoCurrency = Currency.refine((code) => ISO_CURRENCIES.has(code), 'not an ISO 4217 currency code');
const Stock = z.number().int().min(0).max(1_000_000);
// Query values arrive as text (or as an array when repeated, which fails here as it should).
const CentsParam = z.string().regex(/^\d{1,9}$/, 'a whole number of cents').transform(Number).pipe(z.number().max(MAX_PRICE_CENTS));

const NewProductInput = z.strictObject({ sku: Sku, name: Name, description: Description.default(''), priceCents: PriceCents, currency: IsoCurrency, stock: Stock.default(0) });
const ProductPatchInput = z
  .strictObject({ name: Name.optional(), description: Description.optional(), priceCents: PriceCents.optional(), currency: IsoCurrency.optional() })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), 'name at least one of name, description, priceCents, currency');
const StockInput = z.strictObject({ stock: Stock });
const SearchQuery = z
  .strictObject({
    // A blank q lists everything, as an empty search box does.
    q: z.string().trim().max(200).transform((q) => q || undefined).optional(),
    minPriceCents: CentsParam.optional(),
    maxPriceCents: CentsParam.optional(),
    inStock: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
    limit: z.string().regex(/^\d{1,3}$/, 'a number from 1 to 100').transform(Number).pipe(z.number().min(1).max(100)).optional(),
    cursor: z.string().min(1).max(1000).optional(),
  })
  .refine((query) => query.minPriceCents === undefined || query.maxPriceCents === undefined || query.minPriceCents <= query.maxPriceCents, {
    message: 'minPriceCents must not exceed maxPriceCents', path: ['minPriceCents'],
  });

/** HTTP → use cases; no handler touches SQL or passes ctx on. */
export function productRoutes(router: Router, { guards }: Pick<ModuleKernel, 'guards'>): void {
  router.post('/api/v1/products', guards.requireRole('admin'), async (ctx) => {
    const input = readBody(ctx, NewProductInput);
    const created = await cradleOf<ProductServices>(ctx).catalogueAdmin.create(input);
    ctx.status = 201;
    ctx.set('Location', `/api/v1/products/${created.id}`);
    ctx.body = created;
  });

  router.get('/api/v1/products', async (ctx) => {
    const { limit, ...filters } = readQuery(ctx, SearchQuery);
    ctx.body = await cradleOf<ProductServices>(ctx).catalogueSearch.search({ ...filters, limit: limit ?? 20 });
  });

  router.get('/api/v1/products/:id', async (ctx) => {
    ctx.body = await cradleOf<ProductServices>(ctx).catalogueSearch.product(ctx.params.id ?? '');
  });

  router.patch('/api/v1/products/:id', guards.requireRole('admin'), async (ctx) => {
    const patch = readBody(ctx, ProductPatchInput);
    ctx.body = await cradleOf<ProductServices>(ctx).catalogueAdmin.update(ctx.params.id ?? '', patch);
  });

  router.put('/api/v1/products/:id/stock', guards.requireRole('admin'), async (ctx) => {
    const { stock } = readBody(ctx, StockInput);
    ctx.body = await cradleOf<ProductServices>(ctx).catalogueAdmin.setStock(ctx.params.id ?? '', stock);
  });
}
