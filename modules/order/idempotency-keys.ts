import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { IdempotencyKeyReused } from './domain/order-problems.js';

/** A digest of the request as validated, so "the same body" means the same order, whatever its key order or spacing. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

/**
 * A customer's Idempotency-Keys: the first request with a key places an order (the key is
 * claimed by the statement that starts the order's stream, StreamAppend); the same key with
 * the same request gets the same order back; with another request, a 422.
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
}
