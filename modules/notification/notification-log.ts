import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import type { Channel, SentNotification } from './contract.js';

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
  id: string; channel: Channel; recipient: string; template: string; subject: string; body: string; created_at: Date;
}

/** What was sent to whom; the unique (event, channel) key makes recording a message idempotent. */
export class NotificationLog {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async record(trx: Knex.Transaction, message: OutgoingNotification): Promise<boolean> {
    const inserted = await trx('notifications')
      .insert({
        id: uuidv7(), user_id: message.userId, channel: message.channel, recipient: message.recipient,
        template: message.template, subject: message.subject, body: message.body, event_id: message.eventId,
      })
      .onConflict(['event_id', 'channel'])
      .ignore()
      .returning('id');
    return inserted.length > 0;
  }

  async sentTo(userId: string, limit: number): Promise<SentNotification[]> {
    const rows = (await this.db('notifications').where({ user_id: userId }).orderBy('created_at', 'desc').limit(limit)) as NotificationRow[];
    return rows.map((row) => ({
      id: row.id, channel: row.channel, recipient: row.recipient, template: row.template, subject: row.subject, body: row.body,
      createdAt: row.created_at.toISOString(),
    }));
  }
}
