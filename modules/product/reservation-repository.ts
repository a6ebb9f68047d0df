import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import type { Reservation, ReservationStatus } from './domain/reservation-decisions.js';

// Namespaced so these keys cannot meet another module's advisory locks in the shared database.
const KEY_NAMESPACE = 'products.reservation:';

const LOCK_IDS = new PreparedStatement('reservation-lock-ids', `SELECT pg_advisory_xact_lock(key) FROM (
    SELECT DISTINCT hashtextextended(? || id, 0) AS key FROM unnest(?::text[]) AS id ORDER BY key
  ) AS keys`);
const LOAD = new PreparedStatement<{ id: string; status: ReservationStatus; product_id: string | null; quantity: number | null }>('reservation-load',
  `SELECT r.id, r.status, l.product_id, l.quantity
     FROM reservations r LEFT JOIN reservation_lines l ON l.reservation_id = r.id
    WHERE r.id = ANY(?::text[]) ORDER BY r.id, l.product_id`,
);

/** Reading and locking reservations (InventoryWrites writes them); every method takes the caller's transaction. */
export class ReservationRepository {
  /**
   * Locks reservation ids for the rest of the transaction, in one global order. An advisory
   * lock works before the row exists, which a row lock cannot: two first reserves (or a
   * reserve and a release) of the same id are serialised, and taking every id before any
   * product row keeps the lock order acyclic.
   */
  async lockIds(trx: Knex.Transaction, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await LOCK_IDS.run(trx, [KEY_NAMESPACE, [...ids]]);
  }

  async load(trx: Knex.Transaction, ids: readonly string[]): Promise<Map<string, Reservation>> {
    if (ids.length === 0) return new Map();
    const { rows } = await LOAD.run(trx, [[...ids]]);
    const found = new Map<string, Reservation & { lines: Map<string, number> }>();
    for (const row of rows) {
      const reservation = found.get(row.id) ?? { id: row.id, status: row.status, lines: new Map<string, number>() };
      if (row.product_id && row.quantity) reservation.lines.set(row.product_id, row.quantity);
      found.set(row.id, reservation);
    }
    return found;
  }
}
