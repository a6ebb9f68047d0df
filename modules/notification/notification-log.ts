import type { Knex } from 'knex';
import { newId } from '../../src/db/new-id.js';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
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

/** Records the messages only while `current` holds, and says whether it did. */
const recordSql = (current: string) => `WITH current AS (SELECT ${current} AS ok), recorded AS (
    INSERT INTO notifications (id, user_id, channel, recipient, template, subject, body, event_id, status, transport, sent_at, next_attempt_at)
    SELECT m.id, m.user_id, m.channel, m.recipient, m.template, m.subject, m.body, m.event_id, m.status,
      CASE WHEN m.status = 'sent' THEN 'capture' END, CASE WHEN m.status = 'sent' THEN now() END,
      CASE WHEN m.status = 'pending' THEN now() + ?::float8 * interval '1 millisecond' END
    FROM jsonb_to_recordset(?::jsonb) AS m(id uuid, user_id uuid, channel text, recipient text, template text, subject text, body text, event_id uuid, status text), current
    WHERE current.ok
    ON CONFLICT (event_id, channel) DO NOTHING
    RETURNING id, status
  )
  SELECT current.ok, recorded.id, recorded.status FROM current LEFT JOIN recorded ON TRUE`;
type Recorded = { ok: boolean; id: string | null; status: DeliveryStatus | null };
const RECORD = new PreparedStatement<Recorded>('notification-record', recordSql('TRUE'));
const RECORD_IF_CURRENT = new PreparedStatement<Recorded>('notification-record-if-current', recordSql('EXISTS (SELECT 1 FROM recipients WHERE user_id = ?::uuid AND profile_version = ?::int)'));

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
   *
   * With `composedFor`, the messages were composed from a remembered copy of the recipient:
   * they are recorded only while the recipient's row is still at that profile version, in the
   * same statement; undefined (nothing recorded) when it has moved on, and the caller composes
   * them again from the row as it is.
   */
  async record(
    trx: Knex.Transaction, messages: readonly OutgoingNotification[], captured: (channel: Channel) => boolean, composedFor?: { userId: string; version: number },
  ): Promise<{ id: string; status: DeliveryStatus }[] | undefined> {
    if (messages.length === 0) return [];
    const rows = messages.map((message) => ({
      id: newId(), user_id: message.userId, channel: message.channel, recipient: message.recipient, template: message.template,
      subject: message.subject, body: message.body, event_id: message.eventId, status: captured(message.channel) ? 'sent' : 'pending',
    }));
    const statement = composedFor ? RECORD_IF_CURRENT : RECORD;
    const { rows: recorded } = await statement.run(trx, [...(composedFor ? [composedFor.userId, composedFor.version] : []), CLAIM_TIMING.graceMs, JSON.stringify(rows)]);
    if (!recorded[0]?.ok) return undefined;
    return recorded.filter((row) => row.id !== null).map((row) => ({ id: row.id!, status: row.status! }));
  }

  async sentTo(userId: string, limit: number): Promise<SentNotification[]> {
    const rows = (await this.db('notifications').where({ user_id: userId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)) as NotificationRow[];
    return rows.map((row) => ({
      id: row.id, channel: row.channel, recipient: row.recipient, template: row.template, subject: row.subject, body: row.body,
      status: row.status, createdAt: row.created_at.toISOString(), sentAt: row.sent_at?.toISOString() ?? null,
    }));
  }
}
