import { defineSaga } from '../../../src/saga/saga-definition.js';
import type { ChargeFacts, ChargeOutcome } from '../charges.js';
import type { PaymentCradle } from '../payment-services.js';
import { beginCharge } from './begin-charge.js';
import { chargeCard } from './charge-card.js';

export interface ChargePaymentState {
  paymentId: string;
  orderId: string;
  /** what the charge needs of the payment, which never changes; absent in sagas started before it was carried here */
  charge?: ChargeFacts;
  /** the gateway's answer, handed from the call to its record */
  outcome?: ChargeOutcome;
}

/**
 * Charges one recorded payment: mark it CHARGING (a cancellation before this stops it),
 * call the gateway, record CAPTURED or FAILED with its event. Started by the
 * PaymentRequested handler under the lock key `payment:<order id>`.
 */
export const chargePayment = defineSaga<ChargePaymentState, PaymentCradle>({
  name: 'charge-payment',
  steps: [beginCharge, chargeCard],
});
