import type { Knex } from 'knex';
import { OrderNotFound } from './domain/order-problems.js';
import { toOrderView, type OrderRow, type OrderView } from './order-view.js';

export interface OrderHistoryEntry {
  version: number;
  type: string;
  data: unknown;
  occurredAt: string;
}

/** What a customer may read of orders: only their own; another's order is simply not found. */
export class OrderQueries {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async get(customerId: string, orderId: string): Promise<OrderView> {
    const row = (await this.db('orders').where({ id: orderId, customer_id: customerId }).first()) as OrderRow | undefined;
    if (!row) throw OrderNotFound(`No order ${orderId}`);
    return toOrderView(row);
  }

  /** Newest first; ids are UUIDv7, so `before` (the last id of a page) is the cursor. */
  async list(customerId: string, limit: number, before?: string): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    const query = this.db('orders').where({ customer_id: customerId }).orderBy('id', 'desc').limit(limit + 1);
    if (before) void query.where('id', '<', before);
    const rows = (await query) as OrderRow[];
    const items = rows.slice(0, limit).map(toOrderView);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async history(customerId: string, orderId: string): Promise<{ orderId: string; events: OrderHistoryEntry[] }> {
    await this.get(customerId, orderId);
    const rows = (await this.db('order_events').select('version', 'event_type', 'data', 'occurred_at').where({ order_id: orderId }).orderBy('version')) as
      { version: number; event_type: string; data: unknown; occurred_at: Date }[];
    return { orderId, events: rows.map((row) => ({ version: row.version, type: row.event_type, data: row.data, occurredAt: row.occurred_at.toISOString() })) };
  }
}
