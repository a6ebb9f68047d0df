import { describe, expect, it } from 'vitest';
import { isExpired } from './card-expiry.js';
import { decideCancellation, refundableCents, statusAfterRefunds, type PaymentAmounts } from './payment-status.js';

const payment = (status: PaymentAmounts['status'], refundedCents = 0): PaymentAmounts => ({ status, amountCents: 1_000, refundedCents });

describe('cancelling an order\'s payment', () => {
  it('remembers an order that has no payment yet, so a late request is not charged', () => {
    expect(decideCancellation(undefined, 0)).toEqual({ action: { kind: 'remember-order' }, answer: { status: 'nothing-charged' } });
  });

  it('stops a payment whose charge has not begun', () => {
    expect(decideCancellation(payment('PENDING'), 0)).toEqual({ action: { kind: 'cancel-before-charge' }, answer: { status: 'nothing-charged' } });
  });

  it.each(['FAILED', 'CANCELLED'] as const)('has nothing to do for a %s payment', (status) => {
    expect(decideCancellation(payment(status), 0)).toEqual({ action: { kind: 'none' }, answer: { status: 'nothing-charged' } });
  });

  it('flags a charge under way, to be refunded as soon as it is captured', () => {
    expect(decideCancellation(payment('CHARGING'), 0)).toEqual({ action: { kind: 'flag-in-flight' }, answer: { status: 'refund-pending' } });
  });

  it('refunds what is left of a capture, counting refunds under way', () => {
    expect(decideCancellation(payment('CAPTURED'), 0).action).toEqual({ kind: 'refund', amountCents: 1_000 });
    expect(decideCancellation(payment('PARTIALLY_REFUNDED', 300), 200).action).toEqual({ kind: 'refund', amountCents: 500 });
  });

  it('asks for nothing more once the refunds cover the capture', () => {
    expect(decideCancellation(payment('CAPTURED'), 1_000)).toEqual({ action: { kind: 'none' }, answer: { status: 'refund-pending' } });
    expect(decideCancellation(payment('REFUNDED', 1_000), 0)).toEqual({ action: { kind: 'none' }, answer: { status: 'refunded' } });
  });
});

describe('refund arithmetic', () => {
  it('never offers more than the capture minus refunds done and under way', () => {
    expect(refundableCents(payment('CAPTURED'), 0)).toBe(1_000);
    expect(refundableCents(payment('PARTIALLY_REFUNDED', 400), 500)).toBe(100);
    expect(refundableCents(payment('CHARGING'), 0)).toBe(0);
    expect(statusAfterRefunds(1_000, 999)).toBe('PARTIALLY_REFUNDED');
    expect(statusAfterRefunds(1_000, 1_000)).toBe('REFUNDED');
  });
});

describe('card expiry', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  it('keeps a card valid through its expiry month', () => {
    expect(isExpired({ expMonth: 12, expYear: 2026 }, now)).toBe(false);
    expect(isExpired({ expMonth: 1, expYear: 2027 }, now)).toBe(false);
  });
  it('refuses a card past its month', () => {
    expect(isExpired({ expMonth: 11, expYear: 2026 }, now)).toBe(true);
    expect(isExpired({ expMonth: 12, expYear: 2025 }, now)).toBe(true);
  });
});
