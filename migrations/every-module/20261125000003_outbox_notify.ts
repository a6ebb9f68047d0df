import type { Knex } from 'knex';

/**
 * Wakes relays the moment an outbox insert commits (NOTIFY is delivered on commit and
 * coalesced per transaction), so latency does not depend on the polling interval.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION outbox_committed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('outbox_committed', TG_TABLE_SCHEMA);
      RETURN NULL;
    END $$`);
  await knex.raw('CREATE TRIGGER outbox_committed AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_committed()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER outbox_committed ON outbox');
  await knex.raw('DROP FUNCTION outbox_committed()');
}
