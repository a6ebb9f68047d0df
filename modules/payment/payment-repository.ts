import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import type { CardBrand, PaymentFailureReason } from './contract.js';
import type { PaymentStatus } from './domain/payment-status.js';

interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string;
  payment_method_id: string;
  amount_cents: number;
  currency: string;
  status: PaymentStatus;
  brand: CardBrand | null;
  last4: string | null;
  charge_id: string | null;
  failure_reason: PaymentFailureReason | null;
  failure_message: string | null;
  refunded_cents: number;
  cancel_reason: string | null;
  cancel_requested_at: Date | null;
  correlation_id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** Every column of `PaymentRow`, named: a prepared statement never returns `*`. */
const PAYMENT_COLUMNS = ['id', 'order_id', 'customer_id', 'payment_method_id', 'amount_cents', 'currency', 'status', 'brand', 'last4', 'charge_id',
  'failure_reason', 'failure_message', 'refunded_cents', 'cancel_reason', 'cancel_requested_at', 'correlation_id', 'version', 'created_at', 'updated_at'].join(', ');

const LOCK_ORDER = new PreparedStatement('payment-lock-order', 'SELECT pg_advisory_xact_lock(hashtextextended(?, 0))');
const INSERT_UNLESS_CANCELLED = new PreparedStatement<PaymentRow>('payment-insert',
  `INSERT INTO payments (id, order_id, customer_id, payment_method_id, amount_cents, currency, status, brand, last4, failure_reason, failure_message, correlation_id)
   SELECT p.id, p.order_id, p.customer_id, p.payment_method_id, p.amount_cents, p.currency, p.status, p.brand, p.last4, p.failure_reason, p.failure_message, p.correlation_id
   FROM jsonb_populate_record(NULL::payments, ?::jsonb) AS p
   WHERE NOT EXISTS (SELECT 1 FROM order_cancellations c WHERE c.order_id = p.order_id)
   ON CONFLICT (order_id) DO NOTHING
   RETURNING ${PAYMENT_COLUMNS}`,
);

/**
 * Every change a payment goes through, as one text: the changes travel as one JSON object of
 * columns, and a column it does not name keeps its value. `cancel_requested` sets the time a
 * cancellation was first asked for. The last two bindings, when not null, are the status the
 * payment must still be in: the row lock and the check in one statement.
 */
const CHANGE = new PreparedStatement<PaymentRow>('payment-change',
  `UPDATE payments AS p SET
     status = CASE WHEN jsonb_exists(c.changes, 'status') THEN c.changes->>'status' ELSE p.status END,
     charge_id = CASE WHEN jsonb_exists(c.changes, 'charge_id') THEN c.changes->>'charge_id' ELSE p.charge_id END,
     failure_reason = CASE WHEN jsonb_exists(c.changes, 'failure_reason') THEN c.changes->>'failure_reason' ELSE p.failure_reason END,
     failure_message = CASE WHEN jsonb_exists(c.changes, 'failure_message') THEN c.changes->>'failure_message' ELSE p.failure_message END,
     refunded_cents = CASE WHEN jsonb_exists(c.changes, 'refunded_cents') THEN (c.changes->>'refunded_cents')::int ELSE p.refunded_cents END,
     cancel_reason = CASE WHEN jsonb_exists(c.changes, 'cancel_reason') THEN c.changes->>'cancel_reason' ELSE p.cancel_reason END,
     cancel_requested_at = CASE WHEN jsonb_exists(c.changes, 'cancel_requested') THEN coalesce(p.cancel_requested_at, now()) ELSE p.cancel_requested_at END,
     version = p.version + 1,
     updated_at = CURRENT_TIMESTAMP
   FROM (SELECT ?::jsonb AS changes) AS c
   WHERE p.id = ? AND (?::text IS NULL OR p.status = ?)
   RETURNING ${PAYMENT_COLUMNS}`,
);

export interface StoredPayment {
  id: string;
  orderId: string;
  customerId: string;
  paymentMethodId: string;
  amountCents: number;
  currency: string;
  status: PaymentStatus;
  brand: CardBrand | null;
  last4: string | null;
  chargeId: string | null;
  failureReason: PaymentFailureReason | null;
  failureMessage: string | null;
  refundedCents: number;
  cancelReason: string | null;
  cancelRequested: boolean;
  correlationId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type NewPayment = Pick<StoredPayment, 'id' | 'orderId' | 'customerId' | 'paymentMethodId' | 'amountCents' | 'currency' | 'status' | 'brand' | 'last4' | 'failureReason' | 'failureMessage' | 'correlationId'>;
export type PaymentChanges = Partial<Pick<StoredPayment, 'status' | 'chargeId' | 'failureReason' | 'failureMessage' | 'refundedCents' | 'cancelReason'>> & { cancelRequested?: true };

const toPayment = (row: PaymentRow): StoredPayment => ({
  id: row.id, orderId: row.order_id, customerId: row.customer_id, paymentMethodId: row.payment_method_id,
  amountCents: row.amount_cents, currency: row.currency, status: row.status, brand: row.brand, last4: row.last4,
  chargeId: row.charge_id, failureReason: row.failure_reason, failureMessage: row.failure_message,
  refundedCents: row.refunded_cents, cancelReason: row.cancel_reason, cancelRequested: row.cancel_requested_at !== null,
  correlationId: row.correlation_id, version: row.version,
  createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
});

const COLUMN_OF: Record<Exclude<keyof PaymentChanges, 'cancelRequested'>, string> = {
  status: 'status', chargeId: 'charge_id', failureReason: 'failure_reason', failureMessage: 'failure_message',
  refundedCents: 'refunded_cents', cancelReason: 'cancel_reason',
};

/** SQL for payments and for orders cancelled before their payment was requested. */
export class PaymentRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /**
   * Serialises everything that decides an order's payment (a request, a cancellation) for
   * the rest of the transaction. A row lock cannot do it: before the request there is no row.
   */
  async lockOrder(trx: Knex.Transaction, orderId: string): Promise<void> {
    await LOCK_ORDER.run(trx, [`payment-order:${orderId}`]);
  }

  /**
   * The order's first payment wins, and an order cancelled before its payment was requested
   * gets none: undefined when the order already has a payment or was cancelled (tell which
   * with `isCancelledOrder`). One statement, the check included; run it under `lockOrder`,
   * which a cancellation takes too, so the check sees every cancellation committed before.
   */
  async insertUnlessCancelled(trx: Knex.Transaction, payment: NewPayment): Promise<StoredPayment | undefined> {
    const { rows } = await INSERT_UNLESS_CANCELLED.run(trx, [JSON.stringify({
      id: payment.id, order_id: payment.orderId, customer_id: payment.customerId, payment_method_id: payment.paymentMethodId,
      amount_cents: payment.amountCents, currency: payment.currency, status: payment.status, brand: payment.brand,
      last4: payment.last4, failure_reason: payment.failureReason, failure_message: payment.failureMessage, correlation_id: payment.correlationId,
    })]);
    const row = rows[0];
    return row ? toPayment(row) : undefined;
  }

  async find(id: string, trx?: Knex.Transaction, forUpdate = false): Promise<StoredPayment | undefined> {
    const query = (trx ?? this.db)<PaymentRow>('payments').where({ id }).first();
    const row = await (forUpdate ? query.forUpdate() : query);
    return row ? toPayment(row) : undefined;
  }

  async findByOrder(orderId: string, trx?: Knex.Transaction, forUpdate = false): Promise<StoredPayment | undefined> {
    const query = (trx ?? this.db)<PaymentRow>('payments').where({ order_id: orderId }).first();
    const row = await (forUpdate ? query.forUpdate() : query);
    return row ? toPayment(row) : undefined;
  }

  /** Applies changes and bumps the version, which becomes the event's aggregate version. */
  async update(trx: Knex.Transaction, id: string, changes: PaymentChanges): Promise<StoredPayment> {
    return (await this.changed(trx, id, changes))!;
  }

  /**
   * Applies changes only while the payment is in status `from`, in one statement: the row lock
   * and the check of a separate SELECT … FOR UPDATE, without its round trip. A concurrent
   * change is waited for and the condition checked again on what it left. Undefined when the
   * payment is not (or no longer) in `from`.
   */
  async updateIf(trx: Knex.Transaction, id: string, from: PaymentStatus, changes: PaymentChanges): Promise<StoredPayment | undefined> {
    return this.changed(trx, id, changes, from);
  }

  private async changed(trx: Knex.Transaction, id: string, changes: PaymentChanges, from?: PaymentStatus): Promise<StoredPayment | undefined> {
    const columns: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(changes)) {
      columns[field === 'cancelRequested' ? 'cancel_requested' : COLUMN_OF[field as keyof typeof COLUMN_OF]] = value;
    }
    const { rows: [row] } = await CHANGE.run(trx, [JSON.stringify(columns), id, from ?? null, from ?? null]);
    return row ? toPayment(row) : undefined;
  }

  /** Newest first; `customerId` undefined lists everyone's (the admin's view). */
  async list(filter: { customerId?: string; orderId?: string; limit: number }): Promise<StoredPayment[]> {
    const query = this.db<PaymentRow>('payments').orderBy('id', 'desc').limit(filter.limit);
    if (filter.customerId) query.where({ customer_id: filter.customerId });
    if (filter.orderId) query.where({ order_id: filter.orderId });
    return (await query).map(toPayment);
  }

  async rememberCancelledOrder(trx: Knex.Transaction, orderId: string, reason: string): Promise<void> {
    await trx('order_cancellations').insert({ order_id: orderId, reason }).onConflict('order_id').ignore();
  }

  async isCancelledOrder(trx: Knex.Transaction, orderId: string): Promise<boolean> {
    return (await trx('order_cancellations').where({ order_id: orderId }).first('order_id')) !== undefined;
  }
}
