import { subscribe } from '../../src/events/subscription.js';
import type { SagaEngine } from '../../src/saga/saga-engine.js';
import { PaymentFailed, PaymentProcessed } from '../payment/index.js';
import { PAYMENT_OUTCOME, type PaymentOutcome } from './saga/request-payment.js';
import { placeOrderSaga } from './saga/place-order-saga.js';

/**
 * Payment outcomes resume the waiting order saga in the consumer's own transaction, so the
 * inbox row and the signal commit together. An outcome for an order whose saga has already
 * finished (a late capture after the deadline) changes nothing here: the saga's undo asked
 * the payment module to refund whatever lands late.
 */
function resumeOrderSaga(event: { orderId: string }, outcome: PaymentOutcome) {
  return async ({ trx, resolve, log }: { trx: import('knex').Knex.Transaction; resolve: <T>(name: string) => T; log: import('../../src/observability/logger.js').Logger }) => {
    const taken = await resolve<SagaEngine>('sagas').signal(trx, { sagaType: placeOrderSaga.name, lockKey: event.orderId }, PAYMENT_OUTCOME, outcome);
    if (!taken) log.info({ orderId: event.orderId, outcome: outcome.outcome }, 'payment outcome for an order no saga waits for');
  };
}

export const orderSubscriptions = [
  subscribe(PaymentProcessed, 'resume-order-saga', (event, context) =>
    resumeOrderSaga(event.data, { outcome: 'processed', paymentId: event.data.paymentId })(context)),
  subscribe(PaymentFailed, 'resume-order-saga', (event, context) =>
    resumeOrderSaga(event.data, { outcome: 'failed', reason: event.data.reason, message: event.data.message })(context)),
];
