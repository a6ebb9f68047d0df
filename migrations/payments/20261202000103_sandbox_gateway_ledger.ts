import type { Knex } from 'knex';

/**
 * The sandbox gateway's memory, standing in for a remote gateway's: one row per
 * idempotency key with the first answer given to it. Not part of the module's own data;
 * a real gateway adapter does not use it. Holds no card number.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sandbox_gateway_ledger', (table) => {
    table.text('idempotency_key').primary();
    table.text('operation').notNullable();
    /** calls seen with this key (the transient test card fails the first ones) */
    table.integer('attempts').notNullable();
    table.integer('amount_cents').notNullable();
    /** a charge's own id once approved; for a refund, the charge it refunds */
    table.text('charge_id');
    table.jsonb('answer');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('answered_at', { useTz: true });
    table.index(['charge_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sandbox_gateway_ledger');
}
