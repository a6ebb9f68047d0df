import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import { IdempotencyKeyReused } from './domain/order-problems.js';

/** Run by every order placed: a key not seen before is claimed; a known one returns no row. */
const CLAIM = new PreparedStatement<{ order_id: string }>('idempotency-key-claim',
  `INSERT INTO idempotency_keys (customer_id, key, request_hash, order_id) VALUES (?, ?, ?, ?)
   ON CONFLICT (customer_id, key) DO NOTHING
   RETURNING order_id`,
);

/** A digest of the request as validated, so "the same body" means the same order, whatever its key order or spacing. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

/**
 * A customer's Idempotency-Keys: the first request with a key places an order; the same key
 * with the same request gets the same order back; with another request, a 422.
 */
export class IdempotencyKeys {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /** The order an earlier request with this key placed, if any. */
  async find(customerId: string, key: string, hash: string, db: Knex | Knex.Transaction = this.db): Promise<string | undefined> {
    const row = (await db('idempotency_keys').where({ customer_id: customerId, key }).first()) as { order_id: string; request_hash: string } | undefined;
    if (!row) return undefined;
    if (row.request_hash !== hash) throw IdempotencyKeyReused('This Idempotency-Key was used with a different request; use a new key for a new order');
    return row.order_id;
  }

  /**
   * Claims the key for a new order in the caller's transaction. A concurrent request with the
   * same key waits on the unique key until the first commits, then finds its order instead.
   */
  async claim(trx: Knex.Transaction, customerId: string, key: string, hash: string, orderId: string): Promise<string | undefined> {
    const { rows } = await CLAIM.run(trx, [customerId, key, hash, orderId]);
    return rows.length > 0 ? undefined : this.find(customerId, key, hash, trx);
  }
}
