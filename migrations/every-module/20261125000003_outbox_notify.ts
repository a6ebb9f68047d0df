import type { Knex } from 'knex';

/**
 * Wakes an idle relay when an outbox row commits, so latency does not wait for a poll.
 *
 * NOTIFY takes a database-wide lock from commit until the commit is flushed, which
 * serialises every notifying transaction and defeats group commit. So only a row that
 * finds no older unpublished row notifies: with rows already waiting, a relay is busy
 * (it polls briefly after each batch) or was woken for them. The trigger is deferred
 * to commit time, so that check sees what the relay has done up to that moment.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION outbox_committed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM outbox waiting WHERE waiting.published_at IS NULL AND waiting.position < NEW.position
      ) THEN
        PERFORM pg_notify('outbox_committed', TG_TABLE_SCHEMA);
      END IF;
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE CONSTRAINT TRIGGER outbox_committed AFTER INSERT ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_committed()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER outbox_committed ON outbox');
  await knex.raw('DROP FUNCTION outbox_committed()');
}
