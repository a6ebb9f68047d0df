/**
 * Test kit for the commerce flow, spoken through the public HTTP API only, as a customer
 * and an admin would; plus the money and stock invariants, read below the API.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type pg from 'pg';
import type { HttpClient, HttpResponse } from '../../../src/testing/http-client.js';
import { eventually } from '../../../src/testing/eventually.js';

export const CARDS = {
  approves: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  transient: '4000000000000119',
  slow: '4000000000006975',
} as const;

export interface Customer {
  token: string;
  email: string;
  cards: Record<keyof typeof CARDS, string>;
}

export interface OrderBody {
  id: string;
  status: string;
  cancellationReason: string | null;
  totalCents: number;
  paymentId: string | null;
  [key: string]: unknown;
}

export async function login(http: HttpClient, email: string, password: string): Promise<string> {
  const res = await http.post('/api/v1/auth/login', { body: { email, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken as string;
}

/** Registers a customer and saves one card of each sandbox kind. */
export async function newCustomer(http: HttpClient, kinds: readonly (keyof typeof CARDS)[] = Object.keys(CARDS) as (keyof typeof CARDS)[]): Promise<Customer> {
  const email = `c-${randomUUID()}@example.com`;
  const password = 'a long enough password';
  expect((await http.post('/api/v1/auth/register', { body: { email, password } })).status).toBe(201);
  const token = await login(http, email, password);
  const cards = {} as Record<keyof typeof CARDS, string>;
  for (const kind of kinds) {
    const res = await http.post('/api/v1/payment-methods', { token, body: { cardNumber: CARDS[kind], expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: '123' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    cards[kind] = res.body.id as string;
  }
  return { token, email, cards };
}

export async function newProduct(http: HttpClient, adminToken: string, stock: number, priceCents = 1_250): Promise<string> {
  const sku = `T-${randomUUID().slice(0, 18).toUpperCase()}`;
  const res = await http.post('/api/v1/products', { token: adminToken, body: { sku, name: `Test product ${sku}`, description: 'made by a test', priceCents, currency: 'EUR', stock } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

export function placeOrder(http: HttpClient, customer: Customer, items: { productId: string; quantity: number }[], card: keyof typeof CARDS = 'approves', key: string = randomUUID()): Promise<HttpResponse<OrderBody>> {
  return http.post<OrderBody>('/api/v1/orders', { token: customer.token, headers: { 'idempotency-key': key }, body: { items, paymentMethodId: customer.cards[card] } });
}

/** Polls the customer's view of the order until it reaches a final status. */
export function settledOrder(http: HttpClient, customer: Customer, orderId: string, timeoutMs = 20_000): Promise<OrderBody> {
  return eventually(async () => {
    const res = await http.get<OrderBody>(`/api/v1/orders/${orderId}`, { token: customer.token });
    expect(res.status).toBe(200);
    expect(['CONFIRMED', 'CANCELLED']).toContain(res.body.status);
    return res.body;
  }, timeoutMs, 100);
}

/**
 * Stock is conserved and nothing stays held once every saga has settled: for each product,
 * the stock it was given = available + reserved + sold, with reserved back to zero.
 */
export async function expectStockConserved(admin: pg.Client, initial: ReadonlyMap<string, number>): Promise<void> {
  await eventually(async () => {
    const { rows } = await admin.query<{ id: string; on_hand: number; reserved: number; sold: number }>(
      'SELECT id, on_hand, reserved, sold FROM products.products WHERE id = ANY($1::uuid[])', [[...initial.keys()]]);
    for (const row of rows) {
      const available = row.on_hand - row.reserved;
      expect(available + row.reserved + row.sold, `product ${row.id}`).toBe(initial.get(row.id));
      expect(row.reserved, `units still held for product ${row.id}`).toBe(0);
    }
    expect(rows).toHaveLength(initial.size);
  }, 15_000, 100);
}

/** Every captured payment belongs to a CONFIRMED order or is fully refunded. */
export async function expectNoStrayCharges(admin: pg.Client): Promise<void> {
  await eventually(async () => {
    const { rows } = await admin.query<{ order_id: string; status: string; order_status: string | null; refunded_cents: number; amount_cents: number }>(
      `SELECT p.order_id, p.status, o.status AS order_status, p.refunded_cents, p.amount_cents
       FROM payments.payments p LEFT JOIN orders.orders o ON o.id = p.order_id
       WHERE p.charge_id IS NOT NULL AND p.refunded_cents < p.amount_cents AND o.status IS DISTINCT FROM 'CONFIRMED'`);
    expect(rows, 'captured payments of orders that are not confirmed, not fully refunded').toEqual([]);
  }, 15_000, 100);
}
