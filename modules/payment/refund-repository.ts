import type { Knex } from 'knex';

export type RefundStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';
export type RefundReason = 'order-cancelled' | 'admin';

interface RefundRow {
  id: string;
  payment_id: string;
  amount_cents: number;
  status: RefundStatus;
  reason: RefundReason;
  requested_by: string | null;
  request_key: string | null;
  gateway_refund_id: string | null;
  failure_message: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface StoredRefund {
  id: string;
  paymentId: string;
  amountCents: number;
  status: RefundStatus;
  reason: RefundReason;
  requestedBy: string | null;
  requestKey: string | null;
  failureMessage: string | null;
  createdAt: string;
  completedAt: string | null;
}

export type NewRefund = Pick<StoredRefund, 'id' | 'paymentId' | 'amountCents' | 'reason' | 'requestedBy' | 'requestKey'>;

const toRefund = (row: RefundRow): StoredRefund => ({
  id: row.id, paymentId: row.payment_id, amountCents: row.amount_cents, status: row.status, reason: row.reason,
  requestedBy: row.requested_by, requestKey: row.request_key, failureMessage: row.failure_message,
  createdAt: row.created_at.toISOString(), completedAt: row.completed_at?.toISOString() ?? null,
});

/** SQL for refunds; callers hold the payment's row lock while they add or settle one. */
export class RefundRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(trx: Knex.Transaction, refund: NewRefund): Promise<StoredRefund> {
    const [row] = await trx<RefundRow>('refunds')
      .insert({
        id: refund.id, payment_id: refund.paymentId, amount_cents: refund.amountCents, reason: refund.reason,
        requested_by: refund.requestedBy, request_key: refund.requestKey,
      })
      .returning('*');
    return toRefund(row as RefundRow);
  }

  async find(id: string, trx?: Knex.Transaction): Promise<StoredRefund | undefined> {
    const row = await (trx ?? this.db)<RefundRow>('refunds').where({ id }).first();
    return row ? toRefund(row) : undefined;
  }

  async findByRequestKey(trx: Knex.Transaction, paymentId: string, requestKey: string): Promise<StoredRefund | undefined> {
    const row = await trx<RefundRow>('refunds').where({ payment_id: paymentId, request_key: requestKey }).first();
    return row ? toRefund(row) : undefined;
  }

  /** Refunds under way count as spent, so two of them can never add up past the capture. */
  async pendingCents(trx: Knex.Transaction, paymentId: string): Promise<number> {
    const [row] = await trx('refunds').where({ payment_id: paymentId, status: 'PENDING' }).sum({ pending: 'amount_cents' });
    return Number(row?.pending ?? 0);
  }

  /** Undefined when the refund was already settled: a repeated settlement changes nothing. */
  async settle(trx: Knex.Transaction, id: string, outcome: { status: 'SUCCEEDED'; gatewayRefundId: string } | { status: 'FAILED'; failureMessage: string }): Promise<StoredRefund | undefined> {
    const [row] = await trx<RefundRow>('refunds')
      .where({ id, status: 'PENDING' })
      .update({
        status: outcome.status, completed_at: trx.fn.now() as unknown as Date,
        ...(outcome.status === 'SUCCEEDED' ? { gateway_refund_id: outcome.gatewayRefundId } : { failure_message: outcome.failureMessage }),
      })
      .returning('*');
    return row ? toRefund(row as RefundRow) : undefined;
  }

  async listOf(paymentIds: readonly string[]): Promise<StoredRefund[]> {
    if (paymentIds.length === 0) return [];
    return (await this.db<RefundRow>('refunds').whereIn('payment_id', paymentIds).orderBy('id')).map(toRefund);
  }
}
