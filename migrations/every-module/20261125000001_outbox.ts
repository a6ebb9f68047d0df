import type { Knex } from 'knex';

/**
 * The module's outbox: events wait here, committed with the change that raised them,
 * until the relay has enqueued them. Columns for attempts, errors and leases let an
 * operator see why an event is late.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (table) => {
    table.bigIncrements('position').primary();
    table.uuid('event_id').notNullable().unique();
    table.text('event_type').notNullable();
    table.integer('event_version').notNullable();
    table.text('aggregate_id').notNullable();
    table.integer('aggregate_version').notNullable();
    table.timestamp('occurred_at', { useTz: true }).notNullable();
    table.jsonb('data').notNullable();
    table.jsonb('metadata').notNullable();
    table.text('correlation_id').notNullable();
    table.timestamp('committed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    table.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('locked_until', { useTz: true });
    table.timestamp('published_at', { useTz: true });
    table.index(['aggregate_id']);
    table.index(['correlation_id']);
  });
  await knex.raw('CREATE INDEX outbox_pending_idx ON outbox (position) WHERE published_at IS NULL');
  await knex.raw('CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL');
  // Every row is updated twice (claimed, published) soon after insert: room on the page keeps
  // those updates HOT, and eager vacuuming keeps dead entries out of the relay's pending index.
  await knex.raw('ALTER TABLE outbox SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox');
}
