import { defineSaga } from '../../../src/saga/saga-definition.js';
import type { PaymentCradle } from '../payment-services.js';
import { sendRefund } from './send-refund.js';

export interface RefundPaymentState {
  refundId: string;
  paymentId: string;
  /** what the gateway answered, handed from the call to its record */
  gatewayRefundId?: string;
  rejected?: string;
}

/**
 * Returns money for one reserved refund. Its one step is the pivot: a refund is never
 * compensated; when the gateway stays down it is parked for an operator (admin sagas API).
 */
export const refundPayment = defineSaga<RefundPaymentState, PaymentCradle>({
  name: 'refund-payment',
  steps: [sendRefund],
});
