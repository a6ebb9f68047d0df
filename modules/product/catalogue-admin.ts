import type { Knex } from 'knex';
import { newId } from '../../src/db/new-id.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { InventoryChanged, ProductCreated, ProductUpdated, type ProductView } from './contract.js';
import { changedFields, type CatalogueEntry, type CataloguePatch } from './domain/catalogue-changes.js';
import { normalizeSku } from './domain/product-identity.js';
import { ProductNotFound, SkuAlreadyExists, StockBelowReserved } from './domain/product-problems.js';
import { availableUnits, decideStockSet } from './domain/stock-level.js';
import { toView, type ProductRepository, type StoredProduct } from './repository.js';
import type { ProductCradle } from './product-services.js';

export interface NewProductInput extends CatalogueEntry {
  sku: string;
  stock: number;
}

const UNIQUE_VIOLATION = '23505';

/** The admin's changes to the catalogue: each change and its event commit together. */
export class CatalogueAdmin {
  private readonly db: Knex;
  private readonly products: ProductRepository;
  private readonly outbox: OutboxWriter;

  constructor(deps: Pick<ProductCradle, 'db' | 'productRepository' | 'outbox'>) {
    this.db = deps.db;
    this.products = deps.productRepository;
    this.outbox = deps.outbox;
  }

  async create(input: NewProductInput): Promise<ProductView> {
    const sku = normalizeSku(input.sku);
    try {
      return await this.db.transaction(async (trx) => {
        const product = await this.products.insert(trx, {
          id: newId(), sku, name: input.name, description: input.description, priceCents: input.priceCents, currency: input.currency, onHand: input.stock,
        });
        await this.outbox.append(trx, ProductCreated, {
          aggregateId: product.id, aggregateVersion: product.version,
          data: { productId: product.id, sku, name: product.name, priceCents: product.priceCents, currency: product.currency, stock: product.stock.onHand },
        });
        return toView(product);
      });
    } catch (error) {
      // The unique index, not a prior lookup, decides: two concurrent creations of one SKU cannot both win.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw SkuAlreadyExists(`SKU ${sku} already belongs to another product`);
      throw error;
    }
  }

  update(id: string, patch: CataloguePatch): Promise<ProductView> {
    return this.change(id, async (trx, current) => {
      const changed = changedFields(current, patch);
      if (changed.length === 0) return current;
      const updated = await this.products.updateEntry(trx, id, Object.fromEntries(changed.map((field) => [field, patch[field]])));
      await this.outbox.append(trx, ProductUpdated, {
        aggregateId: id, aggregateVersion: updated.version,
        data: {
          productId: id, changed,
          product: { sku: updated.sku, name: updated.name, description: updated.description, priceCents: updated.priceCents, currency: updated.currency },
        },
      });
      return updated;
    });
  }

  /** Sets the unsold units on hand; units held by open reservations stay held. */
  setStock(id: string, stock: number): Promise<ProductView> {
    return this.change(id, async (trx, current) => {
      const decision = decideStockSet(current.stock, stock);
      if (decision.kind === 'below-reserved') {
        throw StockBelowReserved(`${decision.reserved} units are held by open reservations; set the stock to at least ${decision.reserved}`, { reserved: decision.reserved });
      }
      if (decision.kind === 'unchanged') return current;
      const updated = await this.products.setOnHand(trx, id, stock);
      await this.outbox.append(trx, InventoryChanged, {
        aggregateId: id, aggregateVersion: updated.version,
        data: { productId: id, reason: 'stock-set', available: availableUnits(updated.stock), reserved: updated.stock.reserved, sold: updated.stock.sold },
      });
      return updated;
    });
  }

  /** Row lock, change, event: a concurrent change (or reservation) waits, so versions and events stay in order. */
  private async change(id: string, apply: (trx: Knex.Transaction, current: StoredProduct) => Promise<StoredProduct>): Promise<ProductView> {
    return this.db.transaction(async (trx) => {
      const current = await this.products.findById(id, trx, true);
      if (!current) throw ProductNotFound(`No product ${id}`);
      return toView(await apply(trx, current));
    });
  }
}
