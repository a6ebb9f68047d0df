import { z } from 'zod';
import { facadeKey } from '../../src/app/module-facades.js';
import { defineEvent } from '../../src/events/envelope.js';

/** Public face of the payment module. Card numbers never leave it: others see brand and last four. */

export const CardBrand = z.enum(['visa', 'mastercard', 'amex', 'discover', 'unknown']);
export type CardBrand = z.infer<typeof CardBrand>;

export const PaymentFailureReason = z.enum(['declined', 'insufficient-funds', 'gateway-unavailable', 'payment-method-unusable']);
export type PaymentFailureReason = z.infer<typeof PaymentFailureReason>;

/**
 * Published by whoever wants an order paid (the order module, through its outbox); the
 * payment module charges at most once per order, whatever is redelivered.
 */
export const PaymentRequested = defineEvent('PaymentRequested', 1, z.object({
  orderId: z.uuid(),
  customerId: z.uuid(),
  paymentMethodId: z.uuid(),
  amountCents: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
}));

export const PaymentProcessed = defineEvent('PaymentProcessed', 1, z.object({
  paymentId: z.uuid(),
  orderId: z.uuid(),
  customerId: z.uuid(),
  amountCents: z.number().int().positive(),
  currency: z.string(),
  brand: CardBrand,
  last4: z.string().regex(/^\d{4}$/),
}));

export const PaymentFailed = defineEvent('PaymentFailed', 1, z.object({
  paymentId: z.uuid(),
  orderId: z.uuid(),
  customerId: z.uuid(),
  reason: PaymentFailureReason,
  message: z.string(),
}));

export const RefundProcessed = defineEvent('RefundProcessed', 1, z.object({
  refundId: z.uuid(),
  paymentId: z.uuid(),
  orderId: z.uuid(),
  customerId: z.uuid(),
  amountCents: z.number().int().positive(),
  currency: z.string(),
  /** the payment has now been refunded in full */
  fullyRefunded: z.boolean(),
}));

export type PaymentCancellation =
  /** nothing was charged, and nothing will be: a late PaymentRequested for this order is ignored */
  | { status: 'nothing-charged' }
  /** the charge is refunded in full (now, or as soon as an in-flight charge completes) */
  | { status: 'refunded' | 'refund-pending' };

/** What other modules may ask of payments. Idempotent by order id. */
export interface PaymentService {
  /** whether this payment method exists, belongs to the customer and can be charged */
  isUsablePaymentMethod(query: { customerId: string; paymentMethodId: string }): Promise<boolean>;
  /** makes sure the order ends up not charged: refunds a capture, stops a charge not yet made */
  cancelPayment(command: { orderId: string; reason: string }): Promise<PaymentCancellation>;
}

export const PaymentServiceApi = facadeKey<PaymentService>('payment', { isUsablePaymentMethod: true, cancelPayment: true });
