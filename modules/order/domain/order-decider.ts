import type { OrderLine } from '../contract.js';
import type { Order, OrderEvent } from './order.js';
import { OrderRuleBroken } from './order-problems.js';

export type OrderCommand =
  | { type: 'PlaceOrder'; orderId: string; customerId: string; lines: OrderLine[]; currency: string; paymentMethodId: string }
  | { type: 'MarkReserved'; reservationId: string }
  | { type: 'RequestPayment' }
  | { type: 'RecordPayment'; paymentId: string }
  | { type: 'ConfirmOrder' }
  | { type: 'CancelOrder'; reason: string; detail: string };

/**
 * The order's rules: which command is allowed in which state, and what it records.
 * Pure: no I/O, so the rules read (and are tested) as given events → command → events.
 * A command that has already had its effect records nothing, so a repeated saga step
 * or redelivered event is harmless.
 */
export function decide(command: OrderCommand, order: Order): OrderEvent[] {
  if (command.type === 'PlaceOrder') {
    if (order.status !== 'NONE') return [];
    const totalCents = command.lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
    return [{ type: 'OrderPlaced', data: { orderId: command.orderId, customerId: command.customerId, lines: command.lines, totalCents, currency: command.currency, paymentMethodId: command.paymentMethodId } }];
  }
  if (order.status === 'NONE') throw OrderRuleBroken('the order does not exist');
  switch (command.type) {
    case 'MarkReserved':
      if (order.status !== 'PENDING') return expectOneOf(order, ['RESERVED', 'AWAITING_PAYMENT', 'CONFIRMED'], command.type);
      return [{ type: 'InventoryReserved', data: { reservationId: command.reservationId } }];
    case 'RequestPayment':
      if (order.status !== 'RESERVED') return expectOneOf(order, ['AWAITING_PAYMENT', 'CONFIRMED'], command.type);
      return [{ type: 'PaymentRequested', data: { amountCents: order.totalCents, currency: order.currency } }];
    case 'RecordPayment':
      if (order.paymentId) return [];
      if (order.status !== 'AWAITING_PAYMENT') throw OrderRuleBroken(`a payment cannot be recorded on a ${order.status} order`);
      return [{ type: 'PaymentCaptured', data: { paymentId: command.paymentId } }];
    case 'ConfirmOrder':
      if (order.status === 'CONFIRMED') return [];
      if (order.status !== 'AWAITING_PAYMENT' || !order.paymentId) throw OrderRuleBroken(`a ${order.status} order without a captured payment cannot be confirmed`);
      return [{ type: 'OrderConfirmed', data: {} }];
    case 'CancelOrder':
      if (order.status === 'CANCELLED') return [];
      return [{ type: 'OrderCancelled', data: { reason: command.reason, detail: command.detail } }];
    default: {
      const unknown: never = command;
      throw new Error(`unknown order command ${(unknown as { type: string }).type}`);
    }
  }
}

/** Already further along is fine (nothing to record); anything else breaks a rule. */
function expectOneOf(order: Exclude<Order, { status: 'NONE' }>, further: readonly string[], command: string): OrderEvent[] {
  if (further.includes(order.status)) return [];
  throw OrderRuleBroken(`${command} is not allowed on a ${order.status} order`);
}
