import type { Knex } from 'knex';

/**
 * The strangler's route table: who serves each module's traffic. A module without a row
 * is served where it is hosted (`local`). Every instance reads this table, so a change made
 * through any of them (or `npm run route`) reaches all.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('module_routes', (table) => {
    table.text('module').primary();
    table.text('mode').notNullable().defaultTo('local');
    /** share of requests (0–100) a canary sends to the extracted service */
    table.integer('canary_percent').notNullable().defaultTo(0);
    /** whether a canary also sends requests carrying `x-route-to: extracted` */
    table.boolean('canary_header').notNullable().defaultTo(true);
    /** one fixed address (a Kubernetes Service, a load balancer) instead of the registry's instances */
    table.text('target_url');
    table.bigInteger('revision').notNullable().defaultTo(1);
    table.text('updated_by').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("ALTER TABLE module_routes ADD CONSTRAINT module_routes_mode_check CHECK (mode IN ('local', 'remote', 'canary', 'shadow'))");
  await knex.raw('ALTER TABLE module_routes ADD CONSTRAINT module_routes_canary_check CHECK (canary_percent BETWEEN 0 AND 100)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('module_routes');
}
