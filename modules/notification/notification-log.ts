import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import type { Channel, DeliveryStatus, SentNotification } from './contract.js';
import { CLAIM_TIMING } from './domain/retry-schedule.js';

export interface OutgoingNotification {
  userId: string;
  channel: Channel;
  recipient: string;
  template: string;
  subject: string;
  body: string;
  eventId: string;
}

interface NotificationRow {
  id: string; channel: Channel; recipient: string; template: string; subject: string; body: string;
  status: DeliveryStatus; created_at: Date; sent_at: Date | null;
}

/** What was (or is to be) sent to whom; the unique (event, channel) key makes recording a message idempotent. */
export class NotificationLog {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /**
   * Records messages in the caller's transaction; returns those that are new (a redelivered
   * event records nothing), with their status: the pending ones the caller dispatches after
   * commit. A message for a capturing channel is stored as sent by `capture` right away:
   * storing it is all that capture does, so it needs no dispatch round trips.
   */
  async record(trx: Knex.Transaction, messages: readonly OutgoingNotification[], captured: (channel: Channel) => boolean): Promise<{ id: string; status: DeliveryStatus }[]> {
    if (messages.length === 0) return [];
    const nextAttemptAt = trx.raw("now() + ? * interval '1 millisecond'", [CLAIM_TIMING.graceMs]);
    const inserted = (await trx('notifications')
      .insert(messages.map((message) => ({
        id: uuidv7(), user_id: message.userId, channel: message.channel, recipient: message.recipient,
        template: message.template, subject: message.subject, body: message.body, event_id: message.eventId,
        ...(captured(message.channel)
          ? { status: 'sent', transport: 'capture', sent_at: trx.fn.now(), next_attempt_at: null }
          : { status: 'pending', next_attempt_at: nextAttemptAt }),
      })))
      .onConflict(['event_id', 'channel'])
      .ignore()
      .returning(['id', 'status'])) as { id: string; status: DeliveryStatus }[];
    return inserted;
  }

  async sentTo(userId: string, limit: number): Promise<SentNotification[]> {
    const rows = (await this.db('notifications').where({ user_id: userId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)) as NotificationRow[];
    return rows.map((row) => ({
      id: row.id, channel: row.channel, recipient: row.recipient, template: row.template, subject: row.subject, body: row.body,
      status: row.status, createdAt: row.created_at.toISOString(), sentAt: row.sent_at?.toISOString() ?? null,
    }));
  }
}
