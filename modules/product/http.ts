import { z } from 'zod';
import { cradleOf } from '../../src/app/request-scope.js';
import type { ApiRoutes } from '../../src/http/api/api-routes.js';
import { Currency, ProductView } from './contract.js';
import { InvalidCursor, ProductNotFound, SkuAlreadyExists, StockBelowReserved } from './domain/product-problems.js';
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
    cursor: z.string().min(1).max(1000).optional().describe('`nextCursor` of the previous page'),
  })
  .refine((query) => query.minPriceCents === undefined || query.maxPriceCents === undefined || query.minPriceCents <= query.maxPriceCents, {
    message: 'minPriceCents must not exceed maxPriceCents', path: ['minPriceCents'],
  });

// Any text: the catalogue answers an id that is not a UUID as a product it does not have.
const ProductParams = z.strictObject({ id: z.string().describe('the product id (a UUID)') });

const Product = ProductView.meta({ id: 'ProductView' });
const ProductPage = z.object({ items: z.array(Product), nextCursor: z.string().nullable().describe('pass as `cursor` for the next page') }).meta({ id: 'ProductPage' });
const TAG = 'products';

/** HTTP → use cases; no handler touches SQL. */
export function productRoutes(api: ApiRoutes): void {
  api.describeTag(TAG, 'The catalogue: full-text search for anyone, changes and stock for admins');

  api.route({
    operationId: 'createProduct', method: 'post', path: '/api/v1/products', summary: 'Add a product to the catalogue', tags: [TAG], access: 'admin',
    request: { body: NewProductInput },
    responses: { 201: { description: 'The new product', body: Product, headers: z.object({ Location: z.string() }) } },
    problems: [SkuAlreadyExists],
  }).handle(async ({ body }, ctx) => {
    const created = await cradleOf<ProductServices>(ctx).catalogueAdmin.create(body);
    return { status: 201, body: created, headers: { Location: `/api/v1/products/${created.id}` } };
  });

  api.route({
    operationId: 'searchProducts', method: 'get', path: '/api/v1/products', summary: 'Search the catalogue', tags: [TAG], access: 'public',
    description: '`q` takes search-box syntax (words, "phrases", -exclusions), ranked; without it, products are listed by name.',
    request: { query: SearchQuery },
    responses: { 200: { description: 'A page of products', body: ProductPage } },
    problems: [InvalidCursor],
  }).handle(async ({ query: { limit, ...filters } }, ctx) => ({
    status: 200, body: await cradleOf<ProductServices>(ctx).catalogueSearch.search({ ...filters, limit: limit ?? 20 }),
  }));

  api.route({
    operationId: 'readProduct', method: 'get', path: '/api/v1/products/:id', summary: 'Read a product', tags: [TAG], access: 'public',
    request: { params: ProductParams },
    responses: { 200: { description: 'The product, with the units still available', body: Product } },
    problems: [ProductNotFound],
  }).handle(async ({ params }, ctx) => ({ status: 200, body: await cradleOf<ProductServices>(ctx).catalogueSearch.product(params.id) }));

  api.route({
    operationId: 'updateProduct', method: 'patch', path: '/api/v1/products/:id', summary: 'Change a product’s name, description or price', tags: [TAG], access: 'admin',
    description: 'The SKU never changes.',
    request: { params: ProductParams, body: ProductPatchInput },
    responses: { 200: { description: 'The product after the change', body: Product } },
    problems: [ProductNotFound],
  }).handle(async ({ params, body }, ctx) => ({ status: 200, body: await cradleOf<ProductServices>(ctx).catalogueAdmin.update(params.id, body) }));

  api.route({
    operationId: 'setProductStock', method: 'put', path: '/api/v1/products/:id/stock', summary: 'Set the units in stock', tags: [TAG], access: 'admin',
    description: 'Never below the units held by open reservations.',
    request: { params: ProductParams, body: StockInput },
    responses: { 200: { description: 'The product with its new availability', body: Product } },
    problems: [ProductNotFound, StockBelowReserved],
  }).handle(async ({ params, body }, ctx) => ({ status: 200, body: await cradleOf<ProductServices>(ctx).catalogueAdmin.setStock(params.id, body.stock) }));
}
