import type { Knex } from 'knex';

/**
 * Bookkeeping for deliveries to this module that exhausted their retries: the job itself
 * stays in BullMQ's failed set; this row says how often it was re-driven and what happens next.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dead_letters', (table) => {
    table.uuid('event_id').primary();
    table.text('event_type').notNullable();
    table.text('aggregate_id').notNullable();
    table.text('correlation_id').notNullable();
    table.jsonb('envelope').notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.timestamp('failed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.integer('redrive_count').notNullable().defaultTo(0);
    table.timestamp('next_redrive_at', { useTz: true });
    table.text('status').notNullable().defaultTo('waiting');
    table.timestamp('resolved_at', { useTz: true });
    table.index(['status', 'next_redrive_at']);
    table.index(['aggregate_id']);
    table.index(['correlation_id']);
  });
  await knex.raw("ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_status_check CHECK (status IN ('waiting', 'redriving', 'parked', 'resolved'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dead_letters');
}
