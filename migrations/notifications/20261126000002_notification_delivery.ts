import type { Knex } from 'knex';

/**
 * Delivery state of each message: recorded `pending` in the event handler's transaction,
 * then `sent` once a transport accepted it, or `failed` after its last attempt.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (table) => {
    // Rows written before delivery existed were only ever recorded: they count as captured,
    // so configuring SMTP later never mails old messages to real people.
    table.text('status').notNullable().defaultTo('sent');
    table.integer('attempts').notNullable().defaultTo(0);
    /** when a dispatcher may next claim it; null once it is no longer pending */
    table.timestamp('next_attempt_at', { useTz: true });
    table.timestamp('sent_at', { useTz: true });
    /** which transport accepted it: `smtp` or `capture` */
    table.text('transport');
    table.text('last_error');
  });
  await knex.raw("UPDATE notifications SET sent_at = created_at, transport = 'capture'");
  // From now on every insert states its status; no default can mark a message sent by omission.
  await knex.raw('ALTER TABLE notifications ALTER COLUMN status DROP DEFAULT');
  await knex.raw("ALTER TABLE notifications ADD CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'sent', 'failed'))");
  await knex.raw("CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS notifications_due_idx');
  await knex.raw('ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_status_check');
  await knex.schema.alterTable('notifications', (table) => {
    table.dropColumns('status', 'attempts', 'next_attempt_at', 'sent_at', 'transport', 'last_error');
  });
}
