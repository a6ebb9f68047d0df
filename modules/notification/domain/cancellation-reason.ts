/**
 * Order cancellation codes in plain words. The order module sends stable codes
 * (`out-of-stock`, `payment-declined`, …); a code not listed here is still shown readably.
 */
const REASONS: Record<string, string> = {
  'out-of-stock': 'some items were out of stock',
  'payment-declined': 'your payment was declined',
  'payment-insufficient-funds': 'your payment was declined for insufficient funds',
  'payment-gateway-unavailable': 'we could not reach the payment provider',
  'payment-payment-method-unusable': 'the payment method could not be used',
  'payment-method-unusable': 'the payment method could not be used',
  'payment-timeout': 'your payment did not complete in time',
  'cancelled-by-customer': 'you asked us to cancel it',
  cancelled: 'it could not be completed',
};

export function cancellationReasonInWords(code: string | undefined): string {
  if (!code?.trim()) return 'no reason was recorded';
  return REASONS[code] ?? code.trim().replace(/[-_]+/g, ' ').toLowerCase();
}
