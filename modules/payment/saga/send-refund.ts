import type { SagaStep } from '../../../src/saga/saga-definition.js';
import { isGatewayFailure, isRetryableGatewayFailure } from '../gateway/payment-gateway.js';
import type { PaymentCradle } from '../payment-services.js';
import { refundKeyOf } from '../refunds.js';
import type { RefundPaymentState } from './refund-payment.js';

/**
 * Asks the gateway to refund, keyed by the refund's id, so a repeated step refunds once.
 * A retryable failure is thrown (the saga retries with backoff, then parks); a refusal
 * releases the reservation.
 */
export const sendRefund: SagaStep<RefundPaymentState, PaymentCradle> = {
  name: 'send-refund',
  pivot: true,
  async invoke({ state, services }) {
    const refund = (await services.refundRepository.find(state.refundId))!;
    if (refund.status !== 'PENDING') return {};
    const payment = (await services.paymentRepository.find(refund.paymentId))!;
    try {
      const answer = await services.paymentGatewayPolicy.execute(({ signal }) => services.paymentGateway.refund({
        idempotencyKey: refundKeyOf(refund.id), chargeId: payment.chargeId!, amountCents: refund.amountCents, signal,
      }));
      return { gatewayRefundId: answer.refundId };
    } catch (error) {
      if (isGatewayFailure(error) && !isRetryableGatewayFailure(error)) return { rejected: error.message };
      throw error;
    }
  },
  async record({ state, services }, trx) {
    if (state.gatewayRefundId) await services.refunds.settle(trx, state.refundId, { gatewayRefundId: state.gatewayRefundId });
    else if (state.rejected) await services.refunds.settle(trx, state.refundId, { rejected: state.rejected });
  },
};
