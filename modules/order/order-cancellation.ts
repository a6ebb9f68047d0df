import type { Knex } from 'knex';
import type { ModuleFacades } from '../../src/app/module-facades.js';
import type { SagaEngine } from '../../src/saga/saga-engine.js';
import { PaymentServiceApi } from '../payment/index.js';
import { OrderNotCancellable } from './domain/order-problems.js';
import type { OrderQueries } from './order-queries.js';
import { StreamConflict, type OrderStream } from './order-stream.js';
import type { OrderView } from './order-view.js';
import { placeOrderSaga } from './saga/place-order-saga.js';

const CUSTOMER_CANCEL = { code: 'cancelled-by-customer', message: 'cancelled by the customer' };

/**
 * A customer's cancel. While the order saga runs, it is asked to stop: it compensates
 * (release, refund, cancel) at its next step boundary. A confirmed order is refunded in full
 * and cancelled.
 */
export class OrderCancellation {
  private readonly deps: { db: Knex; orderStream: OrderStream; orderQueries: OrderQueries; sagas: SagaEngine; facades: ModuleFacades };

  constructor(deps: { db: Knex; orderStream: OrderStream; orderQueries: OrderQueries; sagas: SagaEngine; facades: ModuleFacades }) {
    this.deps = deps;
  }

  async cancel(customerId: string, orderId: string): Promise<{ order: OrderView; accepted: 'cancelled' | 'cancelling' }> {
    const { db, sagas, orderQueries } = this.deps;
    const order = await orderQueries.get(customerId, orderId);
    if (order.status === 'CANCELLED') return { order, accepted: 'cancelled' };
    if (order.status !== 'CONFIRMED') {
      const asked = await db.transaction((trx) => sagas.requestAbort(trx, { sagaType: placeOrderSaga.name, lockKey: orderId }, CUSTOMER_CANCEL));
      if (!asked) throw OrderNotCancellable('The order is being settled right now; try again in a moment');
      return { order, accepted: 'cancelling' };
    }
    const saga = await sagas.findByLock(placeOrderSaga.name, orderId);
    if (saga && saga.status !== 'COMPLETED') throw OrderNotCancellable('The order is still being confirmed; try again in a moment');
    await this.deps.facades.get(PaymentServiceApi).cancelPayment({ orderId, reason: CUSTOMER_CANCEL.code });
    await this.recordCancelled(orderId);
    return { order: await orderQueries.get(customerId, orderId), accepted: 'cancelled' };
  }

  /** A concurrent write to the stream is retried on a fresh read, never lost. */
  private async recordCancelled(orderId: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.deps.db.transaction((trx) => this.deps.orderStream.execute(trx, orderId, { type: 'CancelOrder', reason: CUSTOMER_CANCEL.code, detail: CUSTOMER_CANCEL.message }));
        return;
      } catch (error) {
        if (!(error instanceof StreamConflict) || attempt >= 5) throw error;
      }
    }
  }
}
