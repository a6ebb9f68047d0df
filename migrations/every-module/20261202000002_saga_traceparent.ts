import type { Knex } from 'knex';

/**
 * The W3C `traceparent` of the request that started a saga: its steps run later, in a job,
 * maybe in another process, and still belong to that request's trace. Null when nothing was
 * traced.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sagas', (table) => {
    table.text('traceparent');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sagas', (table) => {
    table.dropColumn('traceparent');
  });
}
