import type { Knex } from 'knex';
import { newId } from '../../src/db/new-id.js';
import { RefundProcessed } from './contract.js';
import { isCaptured, refundableCents, statusAfterRefunds } from './domain/payment-status.js';
import { IdempotencyKeyReused, PaymentNotFound, PaymentNotRefundable, RefundExceedsCapture } from './domain/payment-problems.js';
import type { PaymentCradle } from './payment-services.js';
import type { StoredPayment } from './payment-repository.js';
import type { RefundReason, StoredRefund } from './refund-repository.js';
import { refundPayment } from './saga/refund-payment.js';

export interface RefundView {
  id: string;
  paymentId: string;
  amountCents: number;
  currency: string;
  status: StoredRefund['status'];
  reason: RefundReason;
  createdAt: string;
  completedAt: string | null;
}

export const refundKeyOf = (refundId: string) => `refund:${refundId}`;

const viewOf = (refund: StoredRefund, payment: StoredPayment): RefundView => ({
  id: refund.id, paymentId: refund.paymentId, amountCents: refund.amountCents, currency: payment.currency,
  status: refund.status, reason: refund.reason, createdAt: refund.createdAt, completedAt: refund.completedAt,
});

type Deps = Pick<PaymentCradle, 'db' | 'paymentRepository' | 'refundRepository' | 'outbox' | 'sagas'>;

/**
 * Money going back. A refund is reserved (a PENDING row, counted against the capture) in
 * the same transaction that starts its saga, under the payment's row lock, so refunds can
 * never add up past what was captured, however many arrive at once.
 */
export class Refunds {
  constructor(private readonly deps: Deps) {}

  /** An admin's refund; a repeated Idempotency-Key returns the first refund. */
  async request(paymentId: string, amountCents: number, by: { requestedBy: string; requestKey?: string }): Promise<RefundView> {
    return this.deps.db.transaction(async (trx) => {
      const payment = await this.deps.paymentRepository.find(paymentId, trx, true);
      if (!payment) throw PaymentNotFound();
      if (by.requestKey) {
        const earlier = await this.deps.refundRepository.findByRequestKey(trx, paymentId, by.requestKey);
        if (earlier && earlier.amountCents !== amountCents) throw IdempotencyKeyReused();
        if (earlier) return viewOf(earlier, payment);
      }
      if (!isCaptured(payment.status)) throw PaymentNotRefundable(`The payment is ${payment.status}`);
      const refund = await this.open(trx, payment, { amountCents, reason: 'admin', requestedBy: by.requestedBy, requestKey: by.requestKey ?? null });
      return viewOf(refund, payment);
    });
  }

  /** Reserves a refund and starts its saga; the caller holds the payment's row lock. */
  async open(trx: Knex.Transaction, payment: StoredPayment, refund: { amountCents: number; reason: RefundReason; requestedBy?: string | null; requestKey?: string | null }): Promise<StoredRefund> {
    const left = refundableCents(payment, await this.deps.refundRepository.pendingCents(trx, payment.id));
    if (refund.amountCents > left) {
      throw RefundExceedsCapture(`At most ${left} cents of this payment can still be refunded`, { refundableCents: left });
    }
    const stored = await this.deps.refundRepository.insert(trx, {
      id: newId(), paymentId: payment.id, amountCents: refund.amountCents, reason: refund.reason,
      requestedBy: refund.requestedBy ?? null, requestKey: refund.requestKey ?? null,
    });
    await this.deps.sagas.start(trx, refundPayment, { input: { refundId: stored.id, paymentId: payment.id } });
    return stored;
  }

  /** What the refund saga records once the gateway answered: the refund, the payment's total and RefundProcessed together. */
  async settle(trx: Knex.Transaction, refundId: string, outcome: { gatewayRefundId: string } | { rejected: string }): Promise<void> {
    const { paymentRepository, refundRepository, outbox } = this.deps;
    const pending = (await refundRepository.find(refundId, trx))!;
    const payment = (await paymentRepository.find(pending.paymentId, trx, true))!;
    const settled = await refundRepository.settle(trx, refundId, 'rejected' in outcome
      ? { status: 'FAILED', failureMessage: outcome.rejected }
      : { status: 'SUCCEEDED', gatewayRefundId: outcome.gatewayRefundId });
    if (!settled || settled.status === 'FAILED') return;
    const refundedCents = payment.refundedCents + settled.amountCents;
    const updated = await paymentRepository.update(trx, payment.id, { refundedCents, status: statusAfterRefunds(payment.amountCents, refundedCents) });
    await outbox.append(trx, RefundProcessed, {
      aggregateId: payment.id, aggregateVersion: updated.version,
      data: {
        refundId, paymentId: payment.id, orderId: payment.orderId, customerId: payment.customerId,
        amountCents: settled.amountCents, currency: payment.currency, fullyRefunded: updated.status === 'REFUNDED',
      },
    });
  }

  async viewOf(refundId: string): Promise<RefundView | undefined> {
    const refund = await this.deps.refundRepository.find(refundId);
    const payment = refund && (await this.deps.paymentRepository.find(refund.paymentId));
    return refund && payment ? viewOf(refund, payment) : undefined;
  }
}
