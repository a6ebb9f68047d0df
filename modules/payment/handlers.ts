import { subscribe } from '../../src/events/subscription.js';
import { PaymentRequested } from './contract.js';
import type { PaymentRequests } from './payment-requests.js';

/** Events this module reacts to. Handler names are inbox keys: keep them stable. */
export const paymentSubscriptions = [
  subscribe(PaymentRequested, 'charge-requested-payment', async (event, { trx, resolve, log }) => {
    const outcome = await resolve<PaymentRequests>('paymentRequests').accept(trx, event, log);
    log.info({ orderId: event.data.orderId, outcome }, 'payment request handled');
  }),
];
