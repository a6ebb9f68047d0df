import { problemKind } from '../../../src/http/problem.js';

export const CardExpired = problemKind(422, 'card-expired', 'The card has expired');
export const PaymentNotFound = problemKind(404, 'payment-not-found', 'Payment not found');
export const PaymentNotRefundable = problemKind(409, 'payment-not-refundable', 'The payment has not been captured');
export const RefundExceedsCapture = problemKind(422, 'refund-exceeds-capture', 'The refunds would exceed the captured amount');
export const IdempotencyKeyReused = problemKind(422, 'idempotency-key-reused', 'This Idempotency-Key was used for a different request');
