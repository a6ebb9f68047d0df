import { greetingName, type MessageContent } from './message-content.js';
import { formatMoney } from './money.js';

interface Greeted {
  firstName: string | null;
}

const BRAND_NAMES: Record<string, string> = {
  visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover',
};

/** Only brand and last four digits: that is all a receipt may show of a card. */
function cardInWords(card: { brand: string; last4: string }): string {
  return `${BRAND_NAMES[card.brand] ?? 'card'} ending in ${card.last4}`;
}

export function paymentReceiptMessage(
  recipient: Greeted,
  payment: { orderId: string; amountCents: number; currency: string; brand: string; last4: string },
): MessageContent {
  const amount = formatMoney(payment.amountCents, payment.currency);
  const card = cardInWords(payment);
  return {
    subject: `Payment receipt for order ${payment.orderId}`,
    body: `Hello ${greetingName(recipient.firstName)},\n\nwe received your payment of ${amount} for order ${payment.orderId}.\n`
      + `Charged to: ${card}\n`,
    short: `Payment of ${amount} received (${card}).`,
  };
}

export function refundNoticeMessage(
  recipient: Greeted,
  refund: { orderId: string; amountCents: number; currency: string; fullyRefunded: boolean },
): MessageContent {
  const amount = formatMoney(refund.amountCents, refund.currency);
  const extent = refund.fullyRefunded ? 'Your payment is now refunded in full.' : 'This is a partial refund.';
  return {
    subject: `Refund for order ${refund.orderId}`,
    body: `Hello ${greetingName(recipient.firstName)},\n\nwe refunded ${amount} for order ${refund.orderId}.\n${extent}\n`
      + 'It may take a few days to appear on your statement.\n',
    short: `We refunded ${amount} for your order.`,
  };
}
