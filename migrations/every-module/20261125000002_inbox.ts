import type { Knex } from 'knex';

/** Which events each handler of this module has already applied: the idempotency record. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inbox', (table) => {
    table.uuid('event_id').notNullable();
    table.text('handler').notNullable();
    table.text('event_type').notNullable();
    table.text('aggregate_id').notNullable();
    table.text('correlation_id').notNullable();
    table.timestamp('handled_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['event_id', 'handler']);
    table.index(['aggregate_id']);
    table.index(['correlation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('inbox');
}
