import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';

// Namespaced so these keys cannot meet another module's advisory locks in the shared database.
const KEY_NAMESPACE = 'products.reservation:';

const LOCK_IDS = new PreparedStatement('reservation-lock-ids', `SELECT pg_advisory_xact_lock(key) FROM (
    SELECT DISTINCT hashtextextended(? || id, 0) AS key FROM unnest(?::text[]) AS id ORDER BY key
  ) AS keys`);

/** Locking reservations (lockInventoryState reads them, InventoryWrites writes them); takes the caller's transaction. */
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
}
