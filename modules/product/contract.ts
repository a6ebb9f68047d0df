import { z } from 'zod';
import { facadeKey } from '../../src/app/module-facades.js';
import { defineEvent } from '../../src/events/envelope.js';

/** Public face of the product module: the catalogue and its inventory, as other modules see them. */

export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');

export const ProductView = z.object({
  id: z.uuid(),
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  priceCents: z.number().int().nonnegative(),
  currency: Currency,
  /** units that can still be ordered (stock less what open reservations hold) */
  available: z.number().int().nonnegative(),
  version: z.number().int().positive(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type ProductView = z.infer<typeof ProductView>;

export const ProductCreated = defineEvent('ProductCreated', 1, z.object({
  productId: z.uuid(),
  sku: z.string(),
  name: z.string(),
  priceCents: z.number().int().nonnegative(),
  currency: Currency,
  stock: z.number().int().nonnegative(),
}));

export const ProductUpdated = defineEvent('ProductUpdated', 1, z.object({
  productId: z.uuid(),
  changed: z.array(z.enum(['name', 'description', 'priceCents', 'currency'])).min(1),
  product: z.object({ sku: z.string(), name: z.string(), description: z.string(), priceCents: z.number().int().nonnegative(), currency: Currency }),
}));

/** Raised whenever a product's units move: stock set by an admin, reserved, released or sold. */
export const InventoryChanged = defineEvent('InventoryChanged', 1, z.object({
  productId: z.uuid(),
  reason: z.enum(['stock-set', 'reserved', 'released', 'committed']),
  /** the reservation (idempotency key) that moved the units, when one did */
  reservationId: z.string().optional(),
  available: z.number().int().nonnegative(),
  reserved: z.number().int().nonnegative(),
  sold: z.number().int().nonnegative(),
}));

export interface OrderItem {
  productId: string;
  quantity: number;
}

export interface PricedLine extends OrderItem {
  sku: string;
  name: string;
  unitPriceCents: number;
  currency: string;
}

export type PricingOutcome =
  | { ok: true; lines: PricedLine[] }
  | { ok: false; reason: 'unknown-product'; productIds: string[] };

export type ReservationOutcome =
  | { ok: true }
  | { ok: false; reason: 'out-of-stock'; productIds: string[] }
  /** the reservation was released (compensated) before this request arrived: it stays released */
  | { ok: false; reason: 'already-released' };

/**
 * What other modules may ask of the catalogue. Every method is idempotent: the
 * reservation id is the idempotency key, so a retried or duplicated call changes nothing
 * twice, and a release that arrives before its reserve wins over it.
 */
export interface ProductCatalog {
  /** current prices of the given items, in the order given */
  priceItems(items: readonly OrderItem[]): Promise<PricingOutcome>;
  /** holds the units of every item, or none of them; an unknown product counts as out of stock */
  reserveInventory(command: { reservationId: string; items: readonly OrderItem[] }): Promise<ReservationOutcome>;
  /** gives held units back; harmless when nothing is held (or was never reserved) */
  releaseInventory(command: { reservationId: string }): Promise<void>;
  /**
   * turns held units into sold ones; harmless when already committed. A reservation that holds
   * nothing (unknown, or released) cannot be sold: it rejects with a problem whose code is
   * {@link RESERVATION_NOT_HELD}, for an operator to look at, rather than selling units that were given back.
   */
  commitInventory(command: { reservationId: string }): Promise<void>;
}

export const ProductCatalogApi = facadeKey<ProductCatalog>('product', {
  priceItems: true, reserveInventory: true, releaseInventory: true, commitInventory: true,
});

/** The stable code of the problem `commitInventory` rejects with when the reservation holds no units. */
export const RESERVATION_NOT_HELD = 'reservation-not-held';
