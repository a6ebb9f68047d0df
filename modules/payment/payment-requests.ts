import type { Knex } from 'knex';
import { newId } from '../../src/db/new-id.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { Logger } from '../../src/observability/logger.js';
import { PaymentFailed } from './contract.js';
import type { PaymentCradle } from './payment-services.js';
import { chargePayment } from './saga/charge-payment.js';

export interface PaymentRequest {
  orderId: string;
  customerId: string;
  paymentMethodId: string;
  amountCents: number;
  currency: string;
}

export type RequestOutcome = 'charging' | 'duplicate' | 'order-cancelled' | 'payment-method-unusable';

type Deps = Pick<PaymentCradle, 'paymentRepository' | 'paymentMethodRepository' | 'paymentMethods' | 'outbox' | 'sagas'>;

/**
 * Turns a PaymentRequested into a recorded payment and a started charge saga, in the
 * consumer's transaction (with its inbox row). No gateway call here: the saga makes it
 * after this transaction has committed.
 */
export class PaymentRequests {
  constructor(private readonly deps: Deps) {}

  async accept(trx: Knex.Transaction, event: EventEnvelope<PaymentRequest>, log: Logger): Promise<RequestOutcome> {
    const { paymentRepository, paymentMethodRepository, paymentMethods, outbox, sagas } = this.deps;
    const request = event.data;
    // Saved cards never change: usually read from memory (see PaymentMethodRepository).
    const method = await paymentMethodRepository.find(request.paymentMethodId, trx);
    const usable = method !== undefined && paymentMethods.usableBy(method, request.customerId);
    // Another customer's card is not even described: its brand and last four stay with its owner.
    const card = method && method.customerId === request.customerId ? { brand: method.brand, last4: method.last4 } : { brand: null, last4: null };
    await paymentRepository.lockOrder(trx, request.orderId);
    // Checked after the lock, in the insert itself: a cancellation committed before it is seen.
    const payment = await paymentRepository.insertUnlessCancelled(trx, {
      id: newId(), ...request, ...card, status: usable ? 'PENDING' : 'FAILED',
      failureReason: usable ? null : 'payment-method-unusable',
      failureMessage: usable ? null : 'the payment method does not exist, is not the customer\'s or has expired',
      correlationId: event.metadata.correlationId,
    });
    if (!payment) {
      // Rare, so asked only now: cancelled first, or (the unique order id decides) a redelivered or duplicated request.
      if (!(await paymentRepository.isCancelledOrder(trx, request.orderId))) return 'duplicate';
      log.info({ orderId: request.orderId }, 'payment requested for an order already cancelled; not charging');
      return 'order-cancelled';
    }
    if (!usable) {
      await outbox.append(trx, PaymentFailed, {
        aggregateId: payment.id, aggregateVersion: payment.version,
        data: { paymentId: payment.id, orderId: payment.orderId, customerId: payment.customerId, reason: 'payment-method-unusable', message: payment.failureMessage! },
        metadata: { causationId: event.eventId },
      });
      return 'payment-method-unusable';
    }
    // The payment's facts that never change ride in the saga's state, so the charge need not read them again.
    await sagas.start(trx, chargePayment, {
      lockKey: `payment:${request.orderId}`,
      input: { paymentId: payment.id, orderId: request.orderId, charge: { customerId: payment.customerId, paymentMethodId: payment.paymentMethodId, amountCents: payment.amountCents, currency: payment.currency } },
    });
    return 'charging';
  }
}
