import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import { isProductId } from './domain/product-identity.js';
import type { Reservation, ReservationStatus } from './domain/reservation-decisions.js';
import type { MovedStock } from './repository.js';

interface StateRow {
  kind: 'reservation' | 'product';
  id: string;
  status: ReservationStatus | null;
  product_id: string | null;
  quantity: number | null;
  on_hand: number | null;
  reserved: number | null;
  sold: number | null;
  version: number | null;
}

/**
 * The reservations of a batch and the product rows its moves change, in one round trip. The
 * products are those asked for plus those the named reservations hold, locked in id order.
 * Reading the reservations in the same statement is safe because their ids are locked
 * already (advisory locks, a statement earlier): whoever wrote them last has committed
 * before this statement's snapshot. A product row is re-read as locked, whatever the snapshot.
 * Rows come in id order: a reservation's lines by product id, the order its moves are made in.
 */
const LOCK_STATE = new PreparedStatement<StateRow>('inventory-lock-state', `WITH held AS (
    SELECT r.id, r.status, l.product_id, l.quantity
      FROM reservations r LEFT JOIN reservation_lines l ON l.reservation_id = r.id
     WHERE r.id = ANY(?::text[])
  ), stock AS (
    SELECT id, on_hand, reserved, sold, version FROM products
     WHERE id = ANY(ARRAY(SELECT unnest(?::uuid[]) UNION SELECT product_id FROM held WHERE id = ANY(?::text[])))
     ORDER BY id FOR UPDATE
  )
  SELECT 'reservation' AS kind, id, status, product_id, quantity, NULL::int AS on_hand, NULL::int AS reserved, NULL::int AS sold, NULL::int AS version FROM held
  UNION ALL
  SELECT 'product', id::text, NULL, NULL, NULL, on_hand, reserved, sold, version FROM stock
  ORDER BY id, product_id`);

export interface InventoryStateWanted {
  /** every reservation the batch touches */
  reservationIds: readonly string[];
  /** the reservations whose own lines name the products to lock (releases, commits) */
  holdingIds: readonly string[];
  /** the products asked for by name (reserves); an id that is no UUID names no product */
  productIds: Iterable<string>;
}

export interface InventoryState {
  reservations: Map<string, Reservation>;
  /** each locked product's counters and version; unknown products are absent */
  stock: Map<string, MovedStock>;
}

/**
 * Loads the reservations and locks the product rows a batch of moves works on. The caller's
 * transaction holds the reservation ids' advisory locks already (ReservationRepository.lockIds).
 */
export async function lockInventoryState(trx: Knex.Transaction, wanted: InventoryStateWanted): Promise<InventoryState> {
  const productIds = [...new Set(wanted.productIds)].filter(isProductId);
  const { rows } = await LOCK_STATE.run(trx, [[...wanted.reservationIds], productIds, [...wanted.holdingIds]]);
  const reservations = new Map<string, Reservation & { lines: Map<string, number> }>();
  const stock = new Map<string, MovedStock>();
  for (const row of rows) {
    if (row.kind === 'product') {
      stock.set(row.id, { stock: { onHand: row.on_hand!, reserved: row.reserved!, sold: row.sold! }, version: row.version! });
      continue;
    }
    const reservation = reservations.get(row.id) ?? { id: row.id, status: row.status!, lines: new Map<string, number>() };
    if (row.product_id && row.quantity) reservation.lines.set(row.product_id, row.quantity);
    reservations.set(row.id, reservation);
  }
  return { reservations, stock };
}
