import type { Knex } from 'knex';
import type { PaymentCradle } from './payment-services.js';
import { PaymentFailed, PaymentProcessed, type PaymentFailureReason } from './contract.js';
import { isRetryableGatewayFailure } from './gateway/payment-gateway.js';
import type { StoredPayment } from './payment-repository.js';

/** What one charge came to; kept in the charge saga's state between the call and its record. */
export type ChargeOutcome =
  | { kind: 'captured'; chargeId: string }
  | { kind: 'failed'; reason: PaymentFailureReason; message: string };

/** What charging a payment needs of it: fixed when the payment is recorded, never changed after. */
export type ChargeFacts = Pick<StoredPayment, 'customerId' | 'paymentMethodId' | 'amountCents' | 'currency'>;

/** The gateway's memory of this key is what makes "at most one charge per payment" hold across retries and crashes. */
export const chargeKeyOf = (paymentId: string) => `charge:${paymentId}`;

type Deps = Pick<PaymentCradle, 'paymentRepository' | 'paymentMethods' | 'paymentGateway' | 'paymentGatewayPolicy' | 'outbox' | 'refunds' | 'log'>;

/** Charging one recorded payment, in the three moves the charge saga makes. */
export class Charges {
  constructor(private readonly deps: Deps) {}

  /**
   * Marks the payment CHARGING before the gateway is called. From here a cancellation can
   * only refund; before it, a cancellation stops the charge. False when already cancelled.
   */
  async begin(trx: Knex.Transaction, paymentId: string): Promise<boolean> {
    // The usual case in one statement; only a payment that was not PENDING is read to tell why.
    if (await this.deps.paymentRepository.updateIf(trx, paymentId, 'PENDING', { status: 'CHARGING' })) return true;
    const payment = await this.deps.paymentRepository.find(paymentId, trx, true);
    return payment !== undefined && payment.status !== 'CANCELLED';
  }

  /**
   * Calls the gateway through its policy, with no transaction open. A gateway that is still
   * failing after the policy throws, so the saga retries later; on the saga's last attempt
   * it becomes the outcome `gateway-unavailable` instead.
   */
  async attempt(paymentId: string, options: { lastAttempt: boolean; facts?: ChargeFacts }): Promise<ChargeOutcome> {
    const payment = options.facts ?? (await this.deps.paymentRepository.find(paymentId))!;
    const cardNumber = await this.deps.paymentMethods.cardNumberFor(payment.paymentMethodId, payment.customerId);
    if (!cardNumber) return { kind: 'failed', reason: 'payment-method-unusable', message: 'the payment method is gone or has expired' };
    try {
      const answer = await this.deps.paymentGatewayPolicy.execute(({ signal }) => this.deps.paymentGateway.charge({
        idempotencyKey: chargeKeyOf(paymentId), amountCents: payment.amountCents, currency: payment.currency, cardNumber, signal,
      }));
      if (answer.status === 'approved') return { kind: 'captured', chargeId: answer.chargeId };
      return { kind: 'failed', reason: answer.reason, message: answer.message };
    } catch (error) {
      if (!isRetryableGatewayFailure(error)) {
        // The gateway refused the request itself: trying again would be refused again.
        return { kind: 'failed', reason: 'declined', message: (error as Error).message };
      }
      if (options.lastAttempt) return { kind: 'failed', reason: 'gateway-unavailable', message: 'the payment gateway did not answer in time' };
      throw error;
    }
  }

  /** Records the outcome and its event together; a capture of a cancelled order is refunded at once. */
  async settle(trx: Knex.Transaction, paymentId: string, outcome: ChargeOutcome): Promise<void> {
    const { paymentRepository, outbox } = this.deps;
    // Only a payment still CHARGING takes the outcome (a repeated record finds it settled and changes nothing).
    if (outcome.kind === 'failed') {
      const failed = await paymentRepository.updateIf(trx, paymentId, 'CHARGING', { status: 'FAILED', failureReason: outcome.reason, failureMessage: outcome.message });
      if (!failed) return;
      await outbox.append(trx, PaymentFailed, {
        aggregateId: paymentId, aggregateVersion: failed.version,
        data: { paymentId, orderId: failed.orderId, customerId: failed.customerId, reason: outcome.reason, message: outcome.message },
      });
      this.deps.log.info({ paymentId, orderId: failed.orderId, reason: outcome.reason }, 'payment failed');
      return;
    }
    const captured = await paymentRepository.updateIf(trx, paymentId, 'CHARGING', { status: 'CAPTURED', chargeId: outcome.chargeId });
    if (!captured) return;
    await outbox.append(trx, PaymentProcessed, {
      aggregateId: paymentId, aggregateVersion: captured.version, data: processedData(captured),
    });
    if (captured.cancelRequested) {
      // The order was cancelled while the charge was under way: the money goes straight back.
      await this.deps.refunds.open(trx, captured, { amountCents: captured.amountCents, reason: 'order-cancelled' });
    }
  }
}

const processedData = (payment: StoredPayment) => ({
  paymentId: payment.id, orderId: payment.orderId, customerId: payment.customerId, amountCents: payment.amountCents,
  currency: payment.currency, brand: payment.brand!, last4: payment.last4!,
});
