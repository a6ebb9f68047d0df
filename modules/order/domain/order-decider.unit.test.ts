import { describe, expect, it } from 'vitest';
import { decide, type OrderCommand } from './order-decider.js';
import { fold, type OrderEvent } from './order.js';

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: {
    orderId: '018f0000-0000-7000-8000-000000000001', customerId: '018f0000-0000-7000-8000-000000000002', currency: 'EUR', totalCents: 2_500,
    paymentMethodId: '018f0000-0000-7000-8000-000000000003',
    lines: [{ productId: '018f0000-0000-7000-8000-000000000004', sku: 'MUG', name: 'Mug', quantity: 2, unitPriceCents: 1_250 }],
  },
};
const given = (events: OrderEvent[]) => ({ when: (command: OrderCommand) => decide(command, fold(events)) });

describe('the order rules', () => {
  it('prices the total from the lines when an order is placed', () => {
    const events = given([]).when({ type: 'PlaceOrder', ...placed.data });
    expect(events).toEqual([placed]);
  });

  it('walks PENDING → RESERVED → AWAITING_PAYMENT → CONFIRMED', () => {
    const history: OrderEvent[] = [placed];
    for (const command of [{ type: 'MarkReserved', reservationId: 'r1' }, { type: 'RequestPayment' }, { type: 'RecordPayment', paymentId: 'p1' }, { type: 'ConfirmOrder' }] as OrderCommand[]) {
      history.push(...given(history).when(command));
    }
    expect(fold(history)).toMatchObject({ status: 'CONFIRMED', paymentId: 'p1' });
  });

  it('records nothing for a step repeated after it took effect', () => {
    const reserved: OrderEvent[] = [placed, { type: 'InventoryReserved', data: { reservationId: 'r1' } }];
    expect(given(reserved).when({ type: 'MarkReserved', reservationId: 'r1' })).toEqual([]);
    expect(given([...reserved, { type: 'OrderCancelled', data: { reason: 'out-of-stock', detail: '' } }]).when({ type: 'CancelOrder', reason: 'x', detail: '' })).toEqual([]);
  });

  it('refuses to confirm an order without a captured payment', () => {
    expect(() => given([placed, { type: 'InventoryReserved', data: { reservationId: 'r1' } }]).when({ type: 'ConfirmOrder' })).toThrow(/cannot be confirmed/);
  });

  it('refuses to go back: no payment request on a cancelled order', () => {
    expect(() => given([placed, { type: 'OrderCancelled', data: { reason: 'timeout', detail: '' } }]).when({ type: 'RequestPayment' })).toThrow(/not allowed on a CANCELLED order/);
  });
});
