import type { PaymentCancellation } from '../contract.js';

/**
 * A payment's life: PENDING (recorded) → CHARGING (a charge may be under way at the
 * gateway; from here on a cancellation can only refund) → CAPTURED | FAILED, then
 * PARTIALLY_REFUNDED / REFUNDED. CANCELLED: stopped before any charge was attempted.
 */
export type PaymentStatus = 'PENDING' | 'CHARGING' | 'CAPTURED' | 'PARTIALLY_REFUNDED' | 'REFUNDED' | 'FAILED' | 'CANCELLED';

export interface PaymentAmounts {
  status: PaymentStatus;
  amountCents: number;
  /** refunds the gateway has confirmed */
  refundedCents: number;
}

export function isCaptured(status: PaymentStatus): boolean {
  return status === 'CAPTURED' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}

/** What may still be refunded, counting refunds that are under way as already spent. */
export function refundableCents(payment: PaymentAmounts, pendingRefundCents: number): number {
  if (!isCaptured(payment.status)) return 0;
  return Math.max(0, payment.amountCents - payment.refundedCents - pendingRefundCents);
}

export function statusAfterRefunds(amountCents: number, refundedCents: number): PaymentStatus {
  return refundedCents >= amountCents ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

export type CancellationAction =
  /** no payment yet: remember the order so a late request is not charged */
  | { kind: 'remember-order' }
  /** recorded but not started: stop it before any charge */
  | { kind: 'cancel-before-charge' }
  /** a charge may be under way: the charge saga refunds it right after a capture */
  | { kind: 'flag-in-flight' }
  /** captured: refund what is not refunded yet */
  | { kind: 'refund'; amountCents: number }
  | { kind: 'none' };

/**
 * Decides what cancelling an order's payment takes, and what to answer. Pure, so every
 * case is a one-line test; the caller applies it under the order's lock.
 */
export function decideCancellation(payment: PaymentAmounts | undefined, pendingRefundCents: number): { action: CancellationAction; answer: PaymentCancellation } {
  if (!payment) return { action: { kind: 'remember-order' }, answer: { status: 'nothing-charged' } };
  switch (payment.status) {
    case 'PENDING':
      return { action: { kind: 'cancel-before-charge' }, answer: { status: 'nothing-charged' } };
    case 'CANCELLED':
    case 'FAILED':
      return { action: { kind: 'none' }, answer: { status: 'nothing-charged' } };
    case 'CHARGING':
      return { action: { kind: 'flag-in-flight' }, answer: { status: 'refund-pending' } };
    case 'CAPTURED':
    case 'PARTIALLY_REFUNDED':
    case 'REFUNDED': {
      const remaining = refundableCents(payment, pendingRefundCents);
      if (remaining > 0) return { action: { kind: 'refund', amountCents: remaining }, answer: { status: 'refund-pending' } };
      return { action: { kind: 'none' }, answer: { status: pendingRefundCents > 0 ? 'refund-pending' : 'refunded' } };
    }
    default: {
      const unknown: never = payment.status;
      throw new Error(`unknown payment status ${String(unknown)}`);
    }
  }
}
