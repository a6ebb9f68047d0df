import { subscribe } from '../../src/events/subscription.js';
import { OrderCreated, OrderStatusChanged } from '../order/index.js';
import { PaymentProcessed, RefundProcessed } from '../payment/index.js';
import { orderCancelledMessage, orderConfirmedMessage, orderReceivedMessage } from './domain/order-messages.js';
import { paymentReceiptMessage, refundNoticeMessage } from './domain/payment-messages.js';
import { serviceFor } from './notification-services.js';

/**
 * Events of the order and payment modules, each answered with one message per channel the
 * customer allows. Not in the manifest yet: the event routing refuses a subscription to an
 * event no registered module publishes. Handler names are inbox keys: keep them stable.
 */
export const commerceSubscriptions = [
  subscribe(OrderCreated, 'order-received', async (event, { trx, resolve, log }) => {
    const order = event.data;
    await serviceFor(resolve, 'customerNotifier').notify(trx, {
      eventId: event.eventId, userId: order.customerId, template: 'order-received',
      compose: (recipient) => orderReceivedMessage(recipient, order),
    }, log);
  }),

  // Only the moves a customer cares about; CONFIRMED comes after the saga's point of no return.
  subscribe(OrderStatusChanged, 'order-status', async (event, { trx, resolve, log }) => {
    const change = event.data;
    const notifier = serviceFor(resolve, 'customerNotifier');
    const notice = { eventId: event.eventId, userId: change.customerId };
    if (change.to === 'CONFIRMED') {
      await notifier.notify(trx, { ...notice, template: 'order-confirmed', compose: (recipient) => orderConfirmedMessage(recipient, change) }, log);
    } else if (change.to === 'CANCELLED') {
      await notifier.notify(trx, { ...notice, template: 'order-cancelled', compose: (recipient) => orderCancelledMessage(recipient, change) }, log);
    }
  }, { accepts: (change) => change.to === 'CONFIRMED' || change.to === 'CANCELLED' }),

  subscribe(PaymentProcessed, 'payment-receipt', async (event, { trx, resolve, log }) => {
    const payment = event.data;
    await serviceFor(resolve, 'customerNotifier').notify(trx, {
      eventId: event.eventId, userId: payment.customerId, template: 'payment-receipt',
      compose: (recipient) => paymentReceiptMessage(recipient, payment),
    }, log);
  }),

  subscribe(RefundProcessed, 'refund-notice', async (event, { trx, resolve, log }) => {
    const refund = event.data;
    await serviceFor(resolve, 'customerNotifier').notify(trx, {
      eventId: event.eventId, userId: refund.customerId, template: 'refund-notice',
      compose: (recipient) => refundNoticeMessage(recipient, refund),
    }, log);
  }),
];
