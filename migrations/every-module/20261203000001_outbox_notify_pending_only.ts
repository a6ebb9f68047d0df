import type { Knex } from 'knex';

/**
 * Only a row that waits for the relay wakes it. An event no module consumes is stored
 * already published (OutboxWriter), and waking a relay for it would only cost an empty
 * claim, nor does it need the trigger's look for older waiting rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER outbox_committed ON outbox');
  await knex.raw(`
    CREATE CONSTRAINT TRIGGER outbox_committed AFTER INSERT ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.published_at IS NULL) EXECUTE FUNCTION outbox_committed()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER outbox_committed ON outbox');
  await knex.raw(`
    CREATE CONSTRAINT TRIGGER outbox_committed AFTER INSERT ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_committed()`);
}
