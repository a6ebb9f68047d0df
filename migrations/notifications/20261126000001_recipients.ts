import type { Knex } from 'knex';

/**
 * The module's own copy of what it needs about a user, kept from the user module's events
 * (event-carried state), so notifying never waits on a call to another module.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('recipients', (table) => {
    table.uuid('user_id').primary();
    table.text('email').notNullable();
    table.text('first_name');
    table.text('last_name');
    table.text('phone');
    // The user module's defaults: email on, sms and push off.
    table.boolean('email_enabled').notNullable().defaultTo(true);
    table.boolean('sms_enabled').notNullable().defaultTo(false);
    table.boolean('push_enabled').notNullable().defaultTo(false);
    // The user's aggregate version this copy reflects: an older event arriving late changes nothing.
    table.integer('profile_version').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recipients');
}
