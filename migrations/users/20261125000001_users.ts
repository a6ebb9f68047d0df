import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.uuid('id').primary();
    // Stored already normalised (trimmed, lower case): one account per mailbox.
    table.text('email').notNullable().unique();
    table.text('password_hash').notNullable();
    table.text('role').notNullable().defaultTo('customer');
    table.text('first_name');
    table.text('last_name');
    table.text('phone');
    table.jsonb('address');
    table.jsonb('preferences').notNullable().defaultTo(JSON.stringify({ email: true, sms: false, push: false }));
    table.integer('version').notNullable().defaultTo(1);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('customer', 'admin'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
