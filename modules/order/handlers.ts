import { subscribe, type HandlerContext } from '../../src/events/subscription.js';
import type { SagaEngine } from '../../src/saga/saga-engine.js';
import { PaymentFailed, PaymentProcessed } from '../payment/index.js';
import { placeOrderSaga } from './saga/place-order-saga.js';
import { PAYMENT_OUTCOME, type PaymentOutcome } from './saga/request-payment.js';

/**
 * Payment outcomes resume the waiting order saga in the consumer's own transaction, so the
 * inbox row and the signal commit together. An outcome for an order whose saga has already
 * finished (a late capture after the deadline) changes nothing here: the saga's undo asked
 * the payment module to refund whatever lands late.
 */
async function resumeOrderSaga(orderId: string, outcome: PaymentOutcome, { trx, resolve, log }: HandlerContext): Promise<void> {
  const taken = await resolve<SagaEngine>('sagas').signal(trx, { sagaType: placeOrderSaga.name, lockKey: orderId }, PAYMENT_OUTCOME, outcome);
  if (!taken) log.info({ orderId, outcome: outcome.outcome }, 'payment outcome for an order no saga waits for');
}

export const orderSubscriptions = [
  subscribe(PaymentProcessed, 'resume-order-saga', (event, context) =>
    resumeOrderSaga(event.data.orderId, { outcome: 'processed', paymentId: event.data.paymentId }, context)),
  subscribe(PaymentFailed, 'resume-order-saga', (event, context) =>
    resumeOrderSaga(event.data.orderId, { outcome: 'failed', reason: event.data.reason, message: event.data.message }, context)),
];
