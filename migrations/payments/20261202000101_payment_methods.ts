import type { Knex } from 'knex';

/**
 * Saved cards. The number is stored only as AES-256-GCM ciphertext with the id of the
 * key that sealed it; brand and last four are kept in clear because they are all anyone
 * is ever shown. The CVC has no column: it is never stored.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payment_methods', (table) => {
    table.uuid('id').primary();
    table.uuid('customer_id').notNullable();
    table.text('brand').notNullable();
    table.text('last4').notNullable();
    table.integer('exp_month').notNullable();
    table.integer('exp_year').notNullable();
    table.text('card_key_id').notNullable();
    table.binary('card_iv').notNullable();
    table.binary('card_auth_tag').notNullable();
    table.binary('card_ciphertext').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['customer_id', 'id']);
    // Lets an operator find the cards still sealed with a key before retiring it.
    table.index(['card_key_id']);
  });
  await knex.raw("ALTER TABLE payment_methods ADD CONSTRAINT payment_methods_last4_check CHECK (last4 ~ '^[0-9]{4}$')");
  await knex.raw('ALTER TABLE payment_methods ADD CONSTRAINT payment_methods_exp_month_check CHECK (exp_month BETWEEN 1 AND 12)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payment_methods');
}
