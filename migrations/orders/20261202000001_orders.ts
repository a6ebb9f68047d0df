import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The event store: one stream per order; the primary key is the optimistic concurrency check.
  await knex.schema.createTable('order_events', (table) => {
    table.uuid('order_id').notNullable();
    table.integer('version').notNullable();
    table.text('event_type').notNullable();
    table.jsonb('data').notNullable();
    table.text('correlation_id').notNullable();
    table.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['order_id', 'version']);
  });
  // The read model, written in the same transaction as the events it folds.
  await knex.schema.createTable('orders', (table) => {
    table.uuid('id').primary();
    table.uuid('customer_id').notNullable();
    table.text('status').notNullable();
    table.jsonb('lines').notNullable();
    table.bigInteger('total_cents').notNullable();
    table.text('currency').notNullable();
    table.uuid('payment_method_id').notNullable();
    table.uuid('payment_id');
    table.text('cancellation_reason');
    table.integer('version').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['customer_id', 'id']);
  });
  await knex.raw('ALTER TABLE orders SET (fillfactor = 80)');
  // What each customer's Idempotency-Key meant and answered, so a retried POST gets the same answer.
  await knex.schema.createTable('idempotency_keys', (table) => {
    table.uuid('customer_id').notNullable();
    table.text('key').notNullable();
    table.text('request_hash').notNullable();
    table.uuid('order_id').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['customer_id', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
  await knex.schema.dropTable('orders');
  await knex.schema.dropTable('order_events');
}
