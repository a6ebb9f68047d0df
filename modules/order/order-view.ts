import type { OrderLine, OrderStatus } from './contract.js';
import type { PlacedOrder } from './domain/order.js';

/** The read model as a customer sees it: the order's state, named by its id, with its times. */
export type OrderView = Omit<PlacedOrder, 'orderId' | 'customerId'> & {
  id: string;
  createdAt: string;
  updatedAt: string;
};

export interface OrderRow {
  id: string; customer_id: string; status: OrderStatus; lines: OrderLine[]; total_cents: string | number; currency: string;
  payment_method_id: string; payment_id: string | null; cancellation_reason: string | null; version: number; created_at: Date; updated_at: Date;
}

export const toOrderView = (row: OrderRow): OrderView => ({
  id: row.id, status: row.status, lines: row.lines, totalCents: Number(row.total_cents), currency: row.currency,
  paymentMethodId: row.payment_method_id, paymentId: row.payment_id, cancellationReason: row.cancellation_reason,
  createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
});
