import type { Knex } from 'knex';

/**
 * Reservations are keyed by the caller's id (its idempotency key). A row never goes back
 * to RESERVED: RELEASED and COMMITTED are final, and a RELEASED row without lines is the
 * tombstone of a release that arrived before its reserve.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE reservations (
      id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 200),
      status text NOT NULL CHECK (status IN ('RESERVED', 'RELEASED', 'COMMITTED')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  await knex.raw(`
    CREATE TABLE reservation_lines (
      reservation_id text NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
      product_id uuid NOT NULL REFERENCES products (id),
      quantity integer NOT NULL CHECK (quantity > 0),
      PRIMARY KEY (reservation_id, product_id)
    )`);
  await knex.raw('CREATE INDEX reservation_lines_product_idx ON reservation_lines (product_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('reservation_lines');
  await knex.schema.dropTable('reservations');
}
