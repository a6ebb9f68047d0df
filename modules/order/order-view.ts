import type { OrderLine, OrderStatus } from './contract.js';

export interface OrderView {
  id: string;
  status: OrderStatus;
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  paymentMethodId: string;
  paymentId: string | null;
  cancellationReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OrderRow {
  id: string; customer_id: string; status: OrderStatus; lines: OrderLine[]; total_cents: string | number; currency: string;
  payment_method_id: string; payment_id: string | null; cancellation_reason: string | null; version: number; created_at: Date; updated_at: Date;
}

export const toOrderView = (row: OrderRow): OrderView => ({
  id: row.id, status: row.status, lines: row.lines, totalCents: Number(row.total_cents), currency: row.currency,
  paymentMethodId: row.payment_method_id, paymentId: row.payment_id, cancellationReason: row.cancellation_reason,
  createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
});
