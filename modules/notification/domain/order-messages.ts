import { cancellationReasonInWords } from './cancellation-reason.js';
import { greetingName, type MessageContent } from './message-content.js';
import { formatMoney } from './money.js';

export interface OrderLineSummary {
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderSummary {
  orderId: string;
  totalCents: number;
  currency: string;
}

interface Greeted {
  firstName: string | null;
}

/** Sent when an order is placed: what was ordered and what it costs, before anything is confirmed. */
export function orderReceivedMessage(recipient: Greeted, order: OrderSummary & { lines: readonly OrderLineSummary[] }): MessageContent {
  const total = formatMoney(order.totalCents, order.currency);
  const lines = order.lines.map((line) =>
    `  ${line.quantity} × ${line.name} — ${formatMoney(line.unitPriceCents * line.quantity, order.currency)}`);
  return {
    subject: `We received your order ${order.orderId}`,
    body: `Hello ${greetingName(recipient.firstName)},\n\nwe received your order ${order.orderId}:\n\n${lines.join('\n')}\n\n`
      // Worded without "confirmed": that word belongs to the message that follows once it is.
      + `Total: ${total}\n\nWe will write again once payment and stock are settled.\n`,
    short: `We received your order (${total}). More news shortly.`,
  };
}

export function orderConfirmedMessage(recipient: Greeted, order: OrderSummary): MessageContent {
  const total = formatMoney(order.totalCents, order.currency);
  return {
    subject: `Your order ${order.orderId} is confirmed`,
    body: `Hello ${greetingName(recipient.firstName)},\n\nyour order ${order.orderId} is confirmed and paid (${total}).\n`
      + 'We are getting it ready.\n',
    short: `Your order is confirmed (${total}).`,
  };
}

export function orderCancelledMessage(recipient: Greeted, order: OrderSummary & { reason?: string | undefined }): MessageContent {
  const why = cancellationReasonInWords(order.reason);
  return {
    subject: `Your order ${order.orderId} was cancelled`,
    body: `Hello ${greetingName(recipient.firstName)},\n\nyour order ${order.orderId} was cancelled: ${why}.\n`
      + 'If you were charged, the amount is refunded.\n',
    short: `Your order was cancelled: ${why}.`,
  };
}
