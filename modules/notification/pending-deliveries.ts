import type { Knex } from 'knex';
import type { Channel } from './contract.js';
import { CLAIM_TIMING, type NextStep } from './domain/retry-schedule.js';

/** A message claimed for one attempt at sending it. */
export interface ClaimedMessage {
  id: string;
  channel: Channel;
  recipient: string;
  subject: string;
  body: string;
  /** attempts made so far, this one included */
  attempts: number;
}

const CLAIMED_COLUMNS = ['id', 'channel', 'recipient', 'subject', 'body', 'attempts'];

/**
 * The delivery state of recorded messages. Claims are leases taken in one UPDATE with the
 * database's clock, so several processes (or a restarted one) never send a message at
 * the same time, and no process's own clock has to agree with another's.
 */
export class PendingDeliveries {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /** Claims freshly recorded messages for their first attempt; one a dispatcher already took is skipped. */
  async claimFresh(ids: readonly string[]): Promise<ClaimedMessage[]> {
    if (ids.length === 0) return [];
    return this.claim((query) => query.whereIn('id', ids).where('attempts', 0));
  }

  /** Claims messages whose time has come: a retry that is due, or one left behind by a crash. */
  async claimDue(limit: number): Promise<ClaimedMessage[]> {
    return this.claim((query) => query.where('next_attempt_at', '<=', this.db.fn.now()).orderBy('next_attempt_at').limit(limit));
  }

  private async claim(select: (query: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<ClaimedMessage[]> {
    const claimable = select(this.db('notifications').select('id').where({ status: 'pending' })).forUpdate().skipLocked();
    return (await this.db('notifications')
      .whereIn('id', claimable)
      .update({
        attempts: this.db.raw('attempts + 1'),
        next_attempt_at: this.db.raw("now() + ? * interval '1 millisecond'", [CLAIM_TIMING.leaseMs]),
      })
      .returning(CLAIMED_COLUMNS)) as ClaimedMessage[];
  }

  async markSent(id: string, transport: string): Promise<void> {
    await this.db('notifications').where({ id, status: 'pending' })
      .update({ status: 'sent', sent_at: this.db.fn.now(), transport, next_attempt_at: null, last_error: null });
  }

  async markAttemptFailed(id: string, next: NextStep, error: string): Promise<void> {
    const change = 'giveUp' in next
      ? { status: 'failed', next_attempt_at: null }
      : { next_attempt_at: this.db.raw("now() + ? * interval '1 millisecond'", [next.retryInMs]) };
    await this.db('notifications').where({ id, status: 'pending' }).update({ ...change, last_error: error.slice(0, 1_000) });
  }

  /** How long until the next pending message is due (0 if one is due now); undefined when none is pending. */
  async msUntilNextDue(): Promise<number | undefined> {
    const row = (await this.db('notifications').where({ status: 'pending' })
      .first(this.db.raw('(extract(epoch from (min(next_attempt_at) - now())) * 1000)::float8 as wait_ms'))) as { wait_ms: number | null } | undefined;
    return row?.wait_ms == null ? undefined : Math.max(0, row.wait_ms);
  }
}
