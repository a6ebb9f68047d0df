import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bench_effects', (table) => {
    table.uuid('event_id').primary();
    table.text('order_id').notNullable();
    table.timestamp('handled_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bench_effects');
}
