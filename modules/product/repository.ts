import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import type { ProductView } from './contract.js';
import type { CatalogueEntry, CataloguePatch } from './domain/catalogue-changes.js';
import { isProductId } from './domain/product-identity.js';
import type { StockLevel } from './domain/stock-level.js';
import type { ProductCradle } from './product-services.js';

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  on_hand: number;
  reserved: number;
  sold: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface StoredProduct extends CatalogueEntry {
  id: string;
  sku: string;
  stock: StockLevel;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewProduct extends CatalogueEntry {
  id: string;
  sku: string;
  onHand: number;
}

/** A product's counters and version: as locked, or after a move (each move is one version). */
export interface MovedStock {
  stock: StockLevel;
  version: number;
}

// Never `*`: the generated search vector stays in the database.
const COLUMNS = ['id', 'sku', 'name', 'description', 'price_cents', 'currency', 'on_hand', 'reserved', 'sold', 'version', 'created_at', 'updated_at'];
const COLUMN_OF: Record<keyof CataloguePatch, string> = { name: 'name', description: 'description', priceCents: 'price_cents', currency: 'currency' };

export const toProduct = (row: ProductRow): StoredProduct => ({
  id: row.id, sku: row.sku, name: row.name, description: row.description, priceCents: row.price_cents, currency: row.currency,
  stock: { onHand: row.on_hand, reserved: row.reserved, sold: row.sold },
  version: row.version, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
});

export const toView = (product: StoredProduct): ProductView => ({
  id: product.id, sku: product.sku, name: product.name, description: product.description, priceCents: product.priceCents,
  currency: product.currency, available: product.stock.onHand - product.stock.reserved, version: product.version,
  createdAt: product.createdAt, updatedAt: product.updatedAt,
});

export const productColumns = (alias?: string): string[] => COLUMNS.map((column) => (alias ? `${alias}.${column}` : column));

// Every order prices its lines with it: one text for any number of ids.
const FIND_MANY = new PreparedStatement<ProductRow>('product-find-many', `SELECT ${COLUMNS.join(', ')} FROM products WHERE id = ANY(?::uuid[])`);
/** SQL for the products table; writes take the caller's transaction and bump the version. */
export class ProductRepository {
  private readonly db: Knex;

  constructor({ db }: Pick<ProductCradle, 'db'>) {
    this.db = db;
  }

  async insert(trx: Knex.Transaction, product: NewProduct): Promise<StoredProduct> {
    const [row] = await trx('products')
      .insert({
        id: product.id, sku: product.sku, name: product.name, description: product.description,
        price_cents: product.priceCents, currency: product.currency, on_hand: product.onHand,
      })
      .returning(COLUMNS);
    return toProduct(row as ProductRow);
  }

  async findById(id: string, trx?: Knex.Transaction, forUpdate = false): Promise<StoredProduct | undefined> {
    if (!isProductId(id)) return undefined;
    const query = (trx ?? this.db)('products').select(COLUMNS).where({ id }).first();
    const row = (await (forUpdate ? query.forUpdate() : query)) as ProductRow | undefined;
    return row ? toProduct(row) : undefined;
  }

  async findMany(ids: readonly string[]): Promise<StoredProduct[]> {
    const wanted = ids.filter(isProductId);
    if (wanted.length === 0) return [];
    const { rows } = await FIND_MANY.run(this.db, [wanted]);
    return rows.map(toProduct);
  }

  async updateEntry(trx: Knex.Transaction, id: string, patch: CataloguePatch): Promise<StoredProduct> {
    const values = Object.fromEntries((Object.keys(patch) as (keyof CataloguePatch)[]).map((field) => [COLUMN_OF[field], patch[field]]));
    return this.bump(trx, id, values);
  }

  async setOnHand(trx: Knex.Transaction, id: string, onHand: number): Promise<StoredProduct> {
    return this.bump(trx, id, { on_hand: onHand });
  }

  private async bump(trx: Knex.Transaction, id: string, values: Record<string, unknown>): Promise<StoredProduct> {
    const [row] = await trx('products')
      .where({ id })
      .update({ ...values, version: trx.raw('version + 1'), updated_at: trx.fn.now() })
      .returning(COLUMNS);
    return toProduct(row as ProductRow);
  }
}
