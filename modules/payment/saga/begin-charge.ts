import { stepFailed, type SagaStep } from '../../../src/saga/saga-definition.js';
import type { PaymentCradle } from '../payment-services.js';
import type { ChargePaymentState } from './charge-payment.js';

/**
 * The last moment a cancellation can stop the charge outright. Nothing to compensate:
 * when this step fails, the payment is already CANCELLED and nothing was charged.
 */
export const beginCharge: SagaStep<ChargePaymentState, PaymentCradle> = {
  name: 'begin-charge',
  async record({ state, services }, trx) {
    const started = await services.charges.begin(trx, state.paymentId);
    if (!started) throw stepFailed('payment-cancelled', 'the order was cancelled before the charge');
  },
};
