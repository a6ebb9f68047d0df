import { z } from 'zod';
import type { OrderItem, PricingOutcome, ProductCatalog, ReservationOutcome } from './contract.js';
import { wantedUnits } from './domain/reservation-decisions.js';
import type { InventoryLedger } from './inventory-ledger.js';
import type { ProductRepository } from './repository.js';
import type { ProductCradle } from './product-services.js';

// Callers are other modules, so a malformed command is a bug there: it fails loudly (ZodError, a 400 over HTTP).
// Product ids are compared as PostgreSQL prints uuids: lower case.
const Item = z.object({ productId: z.string().min(1).max(100).transform((id) => id.toLowerCase()), quantity: z.number().int().min(1).max(1_000_000) });
const ReservationId = z.string().min(1).max(200);
const ReserveCommand = z.object({ reservationId: ReservationId, items: z.array(Item).min(1).max(100) });
const ReservationCommand = z.object({ reservationId: ReservationId });

/**
 * The product module's facade for other modules in this process (see ProductCatalog).
 * An unknown product cannot be priced, nor reserved: a reserve naming one is `out-of-stock`.
 */
export class LocalProductCatalog implements ProductCatalog {
  private readonly products: ProductRepository;
  private readonly ledger: InventoryLedger;

  constructor(deps: Pick<ProductCradle, 'productRepository' | 'inventoryLedger'>) {
    this.products = deps.productRepository;
    this.ledger = deps.inventoryLedger;
  }

  async priceItems(items: readonly OrderItem[]): Promise<PricingOutcome> {
    const wanted = z.array(Item).max(100).parse(items);
    const found = new Map((await this.products.findMany(wanted.map((item) => item.productId))).map((product) => [product.id, product]));
    const unknown = [...new Set(wanted.map((item) => item.productId).filter((id) => !found.has(id)))];
    if (unknown.length > 0) return { ok: false, reason: 'unknown-product', productIds: unknown };
    return {
      ok: true,
      lines: wanted.map(({ productId, quantity }) => {
        const product = found.get(productId)!;
        return { productId, quantity, sku: product.sku, name: product.name, unitPriceCents: product.priceCents, currency: product.currency };
      }),
    };
  }

  async reserveInventory(command: { reservationId: string; items: readonly OrderItem[] }): Promise<ReservationOutcome> {
    const { reservationId, items } = ReserveCommand.parse(command);
    return this.ledger.submit({ kind: 'reserve', reservationId, wanted: wantedUnits(items) });
  }

  async releaseInventory(command: { reservationId: string }): Promise<void> {
    await this.ledger.submit({ kind: 'release', ...ReservationCommand.parse(command) });
  }

  async commitInventory(command: { reservationId: string }): Promise<void> {
    await this.ledger.submit({ kind: 'commit', ...ReservationCommand.parse(command) });
  }
}
