import type { OrderLine, OrderStatus } from '../contract.js';

/**
 * An order as a stream of its own events (event sourcing): the state is what `evolve`
 * folds them into, and `decide` (in order-decider.ts) is the only place that creates new ones.
 */
export type OrderEvent =
  | { type: 'OrderPlaced'; data: { orderId: string; customerId: string; lines: OrderLine[]; totalCents: number; currency: string; paymentMethodId: string } }
  | { type: 'InventoryReserved'; data: { reservationId: string } }
  | { type: 'PaymentRequested'; data: { amountCents: number; currency: string } }
  | { type: 'PaymentCaptured'; data: { paymentId: string } }
  | { type: 'OrderConfirmed'; data: Record<string, never> }
  | { type: 'OrderCancelled'; data: { reason: string; detail: string } };

export type OrderEventType = OrderEvent['type'];

export type Order =
  | { status: 'NONE' }
  | {
    status: OrderStatus;
    orderId: string;
    customerId: string;
    lines: OrderLine[];
    totalCents: number;
    currency: string;
    paymentMethodId: string;
    paymentId: string | null;
    cancellationReason: string | null;
  };

export type PlacedOrder = Exclude<Order, { status: 'NONE' }>;

export const initialOrder: Order = { status: 'NONE' };

function placed(order: Order): PlacedOrder {
  if (order.status === 'NONE') throw new Error('an order event before OrderPlaced');
  return order;
}

export function evolve(order: Order, event: OrderEvent): Order {
  switch (event.type) {
    case 'OrderPlaced':
      return { status: 'PENDING', ...event.data, paymentId: null, cancellationReason: null };
    case 'InventoryReserved':
      return { ...placed(order), status: 'RESERVED' };
    case 'PaymentRequested':
      return { ...placed(order), status: 'AWAITING_PAYMENT' };
    case 'PaymentCaptured':
      return { ...placed(order), paymentId: event.data.paymentId };
    case 'OrderConfirmed':
      return { ...placed(order), status: 'CONFIRMED' };
    case 'OrderCancelled':
      return { ...placed(order), status: 'CANCELLED', cancellationReason: event.data.reason };
    default: {
      const unknown: never = event;
      throw new Error(`unknown order event ${(unknown as { type: string }).type}`);
    }
  }
}

export const fold = (events: readonly OrderEvent[], from: Order = initialOrder): Order => events.reduce(evolve, from);
