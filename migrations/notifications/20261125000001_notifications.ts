import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (table) => {
    table.uuid('id').primary();
    table.uuid('user_id').notNullable();
    table.text('channel').notNullable();
    table.text('recipient').notNullable();
    table.text('template').notNullable();
    table.text('subject').notNullable();
    table.text('body').notNullable();
    table.uuid('event_id').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // One event, at most one message per channel, whatever is redelivered.
    table.unique(['event_id', 'channel']);
    table.index(['user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notifications');
}
