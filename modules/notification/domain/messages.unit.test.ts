import { describe, expect, it } from 'vitest';
import { cancellationReasonInWords } from './cancellation-reason.js';
import { contentFor } from './message-content.js';
import { messageIdFor } from './message-id.js';
import { formatMoney } from './money.js';
import { orderCancelledMessage, orderReceivedMessage } from './order-messages.js';
import { paymentReceiptMessage, refundNoticeMessage } from './payment-messages.js';
import { welcomeMessage } from './welcome-message.js';

describe('message templates', () => {
  it('formats amounts in minor units by the currency’s own decimals', () => {
    expect(formatMoney(1999, 'EUR')).toBe('€19.99');
    expect(formatMoney(1999, 'USD')).toBe('$19.99');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(1234, 'not a currency')).toBe('12.34 not a currency');
  });

  it('lists an order’s lines and total', () => {
    const { body, short } = orderReceivedMessage({ firstName: 'Ada' }, {
      orderId: 'o-1', totalCents: 2500, currency: 'EUR', lines: [{ name: 'Blue mug', quantity: 2, unitPriceCents: 1250 }],
    });
    expect(body).toContain('Hello Ada');
    expect(body).toContain('2 × Blue mug — €25.00');
    expect(body).toContain('Total: €25.00');
    expect(short).toBe('We received your order (€25.00). More news shortly.');
    expect(body).not.toMatch(/confirmed/i);
  });

  it('says why an order was cancelled in plain words, whatever the code', () => {
    expect(cancellationReasonInWords('payment-declined')).toBe('your payment was declined');
    expect(cancellationReasonInWords('warehouse_flooded')).toBe('warehouse flooded');
    expect(cancellationReasonInWords(undefined)).toBe('no reason was recorded');
    expect(orderCancelledMessage({ firstName: null }, { orderId: 'o-1', totalCents: 1, currency: 'EUR', reason: 'out-of-stock' }).body)
      .toContain('Hello there,\n\nyour order o-1 was cancelled: some items were out of stock.');
  });

  it('shows of a card only its brand and last four digits', () => {
    const receipt = paymentReceiptMessage({ firstName: 'Ada' }, { orderId: 'o-1', amountCents: 1000, currency: 'EUR', brand: 'amex', last4: '0005' });
    expect(receipt.body).toContain('Charged to: American Express ending in 0005');
    expect(paymentReceiptMessage({ firstName: 'Ada' }, { orderId: 'o-1', amountCents: 1, currency: 'EUR', brand: 'unknown', last4: '1111' }).short)
      .toContain('card ending in 1111');
  });

  it('tells a full refund from a partial one', () => {
    expect(refundNoticeMessage({ firstName: 'Ada' }, { orderId: 'o-1', amountCents: 100, currency: 'EUR', fullyRefunded: true }).body).toContain('refunded in full');
    expect(refundNoticeMessage({ firstName: 'Ada' }, { orderId: 'o-1', amountCents: 100, currency: 'EUR', fullyRefunded: false }).body).toContain('partial refund');
  });

  it('sends email the full text and SMS or push the short one', () => {
    const welcome = welcomeMessage({ firstName: ' Grace ' });
    expect(contentFor('email', welcome)).toEqual({ subject: 'Welcome to the shop', body: 'Hello Grace,\n\nyour account is ready. Happy shopping!\n' });
    expect(contentFor('sms', welcome).body).toBe('Welcome to the shop, Grace! Your account is ready.');
  });

  it('derives the Message-ID from the notification id, in the sender’s domain', () => {
    expect(messageIdFor('0192-abc', 'Shop <no-reply@shop.example>')).toBe('<0192-abc@shop.example>');
    expect(messageIdFor('0192-abc', 'no-reply@shop.example')).toBe('<0192-abc@shop.example>');
    expect(messageIdFor('0192-abc', 'Shop')).toBe('<0192-abc@commerce.local>');
  });
});
