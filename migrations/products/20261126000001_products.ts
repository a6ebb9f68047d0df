import type { Knex } from 'knex';

/**
 * The catalogue and each product's stock in one row, so a reservation locks one row per
 * product and checks and moves units in a single statement.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE products (
      id uuid PRIMARY KEY,
      -- stored upper-cased: one SKU whatever the case it was typed in
      sku text NOT NULL CONSTRAINT products_sku_key UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9._-]{1,63}$'),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
      price_cents integer NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      -- units in the warehouse, the reserved ones included; sold units have left it
      on_hand integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
      reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
      sold integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
      -- the database itself refuses an oversold product, whatever the code does
      CONSTRAINT products_reserved_within_on_hand CHECK (reserved <= on_hand),
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- 'simple' (no stemming, no stop words): names and SKUs are not English prose
      search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, name), 'A') ||
        setweight(to_tsvector('simple'::regconfig, sku), 'B') ||
        setweight(to_tsvector('simple'::regconfig, description), 'B')
      ) STORED
    )`);
  await knex.raw('CREATE INDEX products_search_idx ON products USING gin (search)');
  // Keyset pages without a search term walk (name, id).
  await knex.raw('CREATE INDEX products_name_id_idx ON products (name, id)');
  await knex.raw('CREATE INDEX products_price_idx ON products (price_cents)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('products');
}
