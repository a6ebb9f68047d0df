import type { SagaStep } from '../../../src/saga/saga-definition.js';
import type { PaymentCradle } from '../payment-services.js';
import type { ChargePaymentState } from './charge-payment.js';

/**
 * Charges the card and records the outcome. The pivot: a charge that may have happened
 * is never blindly undone; declines and an unreachable gateway are outcomes the record
 * step writes, not saga failures, and anything else is retried and then parked for an
 * operator. The gateway call is keyed by the payment id, so a repeat charges once.
 */
export const chargeCard: SagaStep<ChargePaymentState, PaymentCradle> = {
  name: 'charge-card',
  pivot: true,
  async invoke({ state, services, attempt }) {
    const outcome = await services.charges.attempt(state.paymentId, { lastAttempt: attempt >= services.config.SAGA_STEP_ATTEMPTS, ...(state.charge ? { facts: state.charge } : {}) });
    return { outcome };
  },
  async record({ state, services }, trx) {
    await services.charges.settle(trx, state.paymentId, state.outcome!);
  },
};
