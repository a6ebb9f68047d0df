import type { Knex } from 'knex';

/**
 * One payment per order (the unique index, not a lookup, makes a redelivered request a
 * no-op), its refunds, and the orders cancelled before their payment was requested.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payments', (table) => {
    table.uuid('id').primary();
    table.uuid('order_id').notNullable().unique();
    table.uuid('customer_id').notNullable();
    table.uuid('payment_method_id').notNullable();
    table.integer('amount_cents').notNullable();
    table.text('currency').notNullable();
    table.text('status').notNullable();
    table.text('brand');
    table.text('last4');
    table.text('charge_id');
    table.text('failure_reason');
    table.text('failure_message');
    table.integer('refunded_cents').notNullable().defaultTo(0);
    /** set when the order was cancelled while a charge was under way: the capture is refunded */
    table.text('cancel_reason');
    table.timestamp('cancel_requested_at', { useTz: true });
    table.text('correlation_id').notNullable();
    table.integer('version').notNullable().defaultTo(1);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['customer_id', 'created_at']);
  });
  await knex.raw(`ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('PENDING', 'CHARGING', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'FAILED', 'CANCELLED'))`);
  await knex.raw('ALTER TABLE payments ADD CONSTRAINT payments_amount_check CHECK (amount_cents > 0)');
  // The last line of defence against refunding more than was taken.
  await knex.raw('ALTER TABLE payments ADD CONSTRAINT payments_refunded_check CHECK (refunded_cents BETWEEN 0 AND amount_cents)');

  await knex.schema.createTable('refunds', (table) => {
    table.uuid('id').primary();
    table.uuid('payment_id').notNullable().references('id').inTable('payments');
    table.integer('amount_cents').notNullable();
    table.text('status').notNullable().defaultTo('PENDING');
    /** `order-cancelled` or `admin` */
    table.text('reason').notNullable();
    table.uuid('requested_by');
    /** the caller's Idempotency-Key: a repeated request returns the first refund */
    table.text('request_key');
    table.text('gateway_refund_id');
    table.text('failure_message');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('completed_at', { useTz: true });
    table.index(['payment_id']);
    table.unique(['payment_id', 'request_key']);
  });
  await knex.raw("ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED'))");
  await knex.raw('ALTER TABLE refunds ADD CONSTRAINT refunds_amount_check CHECK (amount_cents > 0)');

  await knex.schema.createTable('order_cancellations', (table) => {
    table.uuid('order_id').primary();
    table.text('reason').notNullable();
    table.timestamp('cancelled_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_cancellations');
  await knex.schema.dropTable('refunds');
  await knex.schema.dropTable('payments');
}
