import type { Knex } from 'knex';
import type { ProductView } from './contract.js';
import { ProductNotFound } from './domain/product-problems.js';
import { decodeCursor, encodeCursor, type SearchCursor } from './domain/search-cursor.js';
import { productColumns, toProduct, toView, type ProductRepository, type ProductRow } from './repository.js';
import type { ProductCradle } from './product-services.js';

export interface SearchFilters {
  /** words as people type them into a search box (quotes, OR, -word) */
  q?: string | undefined;
  minPriceCents?: number | undefined;
  maxPriceCents?: number | undefined;
  /** true: only what can be ordered now; false: only what cannot */
  inStock?: boolean | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface ProductPage {
  items: ProductView[];
  nextCursor: string | null;
}

type Row = ProductRow & { rank?: number };

/**
 * The public catalogue: one product, or a page of a full-text search. With `q`, the best
 * matches come first (a hit in the name weighs more than one in the SKU or description);
 * without it, products are listed by name.
 */
export class CatalogueSearch {
  private readonly db: Knex;
  private readonly products: ProductRepository;

  constructor(deps: Pick<ProductCradle, 'db' | 'productRepository'>) {
    this.db = deps.db;
    this.products = deps.productRepository;
  }

  async product(id: string): Promise<ProductView> {
    const product = await this.products.findById(id);
    if (!product) throw ProductNotFound(`No product ${id}`);
    return toView(product);
  }

  async search(filters: SearchFilters): Promise<ProductPage> {
    const by = filters.q ? 'rank' : 'name';
    const after = filters.cursor === undefined ? undefined : decodeCursor(filters.cursor, by);
    // One row more than the page tells whether another page follows, without a count.
    const rows = (await this.query(filters, after).limit(filters.limit + 1)) as Row[];
    const page = rows.slice(0, filters.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > filters.limit && last
      ? encodeCursor(by === 'rank' ? { by, rank: last.rank ?? 0, id: last.id } : { by, name: last.name, id: last.id })
      : null;
    return { items: page.map((row) => toView(toProduct(row))), nextCursor };
  }

  private query(filters: SearchFilters, after: SearchCursor | undefined): Knex.QueryBuilder {
    const query = this.db('products as p').select(productColumns('p'));
    if (filters.minPriceCents !== undefined) query.where('p.price_cents', '>=', filters.minPriceCents);
    if (filters.maxPriceCents !== undefined) query.where('p.price_cents', '<=', filters.maxPriceCents);
    if (filters.inStock !== undefined) query.whereRaw(filters.inStock ? 'p.on_hand - p.reserved > 0' : 'p.on_hand - p.reserved = 0');
    if (!filters.q) {
      if (after?.by === 'name') query.whereRaw('(p.name, p.id) > (?, ?::uuid)', [after.name, after.id]);
      return query.orderBy([{ column: 'p.name' }, { column: 'p.id' }]);
    }
    // ts_rank is a real (float4); the cursor's rank goes back as a real, so equal ranks compare equal.
    query
      .select(this.db.raw('ts_rank(p.search, query) AS rank'))
      .joinRaw("CROSS JOIN websearch_to_tsquery('simple', ?) AS query", [filters.q])
      .whereRaw('p.search @@ query');
    if (after?.by === 'rank') {
      query.whereRaw('(ts_rank(p.search, query) < ?::real OR (ts_rank(p.search, query) = ?::real AND p.id > ?::uuid))', [after.rank, after.rank, after.id]);
    }
    return query.orderByRaw('rank DESC, p.id ASC');
  }
}
