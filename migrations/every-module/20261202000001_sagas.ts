import type { Knex } from 'knex';

/**
 * Durable sagas run by this module. The row is the truth: a BullMQ job only says "look at
 * this saga now", so a lost or repeated job changes nothing, and a sweep finds any saga
 * whose time has come and nobody holds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sagas', (table) => {
    table.uuid('id').primary();
    table.text('saga_type').notNullable();
    /** the semantic lock: one unfinished saga per key (an order id …) */
    table.text('lock_key');
    table.text('status').notNullable();
    /** forward: the next step to run; compensating: the next step to undo */
    table.integer('step').notNullable().defaultTo(0);
    table.jsonb('state').notNullable();
    table.text('awaiting');
    table.jsonb('signals').notNullable().defaultTo('{}');
    table.jsonb('failure');
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error');
    /** what a NEEDS_ATTENTION saga was doing (RUNNING or COMPENSATING), so a retry resumes it */
    table.text('parked_status');
    /** when a worker should next look at it; null while nothing is due */
    table.timestamp('wake_at', { useTz: true });
    table.timestamp('deadline_at', { useTz: true });
    table.text('lease_owner');
    table.timestamp('lease_until', { useTz: true });
    table.text('correlation_id').notNullable();
    table.integer('version').notNullable().defaultTo(1);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('finished_at', { useTz: true });
  });
  await knex.raw(`CREATE UNIQUE INDEX sagas_lock_idx ON sagas (lock_key) WHERE lock_key IS NOT NULL AND status NOT IN ('COMPLETED', 'COMPENSATED')`);
  await knex.raw(`CREATE INDEX sagas_due_idx ON sagas (wake_at) WHERE wake_at IS NOT NULL`);
  await knex.raw(`CREATE INDEX sagas_status_idx ON sagas (status, updated_at)`);
  // Rows are rewritten after every step: room on the page keeps those updates HOT.
  await knex.raw('ALTER TABLE sagas SET (fillfactor = 70)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sagas');
}
