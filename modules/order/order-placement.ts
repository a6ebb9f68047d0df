import type { Knex } from 'knex';
import { v7 as uuidv7 } from 'uuid';
import type { ModuleFacades } from '../../src/app/module-facades.js';
import type { SagaEngine } from '../../src/saga/saga-engine.js';
import { PaymentServiceApi } from '../payment/index.js';
import { ProductCatalogApi, type OrderItem, type PricedLine } from '../product/index.js';
import type { OrderLine } from './contract.js';
import { MixedCurrencies, NothingToPay, PaymentMethodUnusable, UnknownProducts } from './domain/order-problems.js';
import { requestHash, type IdempotencyKeys } from './idempotency-keys.js';
import type { OrderStream } from './order-stream.js';
import { placeOrderSaga } from './saga/place-order-saga.js';

export interface OrderRequest {
  items: OrderItem[];
  paymentMethodId: string;
}

export interface PlacedOrderAnswer {
  id: string;
  status: 'PENDING';
  /** true when an earlier request with the same key placed it */
  replayed: boolean;
}

/** The same product twice in a cart is one line with both quantities. */
function mergedItems(items: readonly OrderItem[]): OrderItem[] {
  const byProduct = new Map<string, number>();
  for (const item of items) byProduct.set(item.productId, (byProduct.get(item.productId) ?? 0) + item.quantity);
  return [...byProduct].map(([productId, quantity]) => ({ productId, quantity }));
}

function linesOf(priced: readonly PricedLine[]): { lines: OrderLine[]; currency: string } {
  const currencies = new Set(priced.map((line) => line.currency));
  if (currencies.size > 1) throw MixedCurrencies(`One order is paid in one currency; this cart has ${[...currencies].join(', ')}`);
  const lines = priced.map(({ productId, sku, name, quantity, unitPriceCents }) => ({ productId, sku, name, quantity, unitPriceCents }));
  return { lines, currency: priced[0]!.currency };
}

/**
 * Placing an order: priced and checked first (calls to the product and payment modules,
 * outside any transaction), then the order, its idempotency key and its saga commit together,
 * so an accepted order always gets its saga and a retried request never a second order.
 */
export class OrderPlacement {
  private readonly deps: { db: Knex; orderStream: OrderStream; idempotencyKeys: IdempotencyKeys; sagas: SagaEngine; facades: ModuleFacades };

  constructor(deps: { db: Knex; orderStream: OrderStream; idempotencyKeys: IdempotencyKeys; sagas: SagaEngine; facades: ModuleFacades }) {
    this.deps = deps;
  }

  async place(customerId: string, idempotencyKey: string, request: OrderRequest): Promise<PlacedOrderAnswer> {
    const { db, orderStream, idempotencyKeys, sagas, facades } = this.deps;
    const hash = requestHash(request);
    const earlier = await idempotencyKeys.find(customerId, idempotencyKey, hash);
    if (earlier) return { id: earlier, status: 'PENDING', replayed: true };

    const items = mergedItems(request.items);
    const pricing = await facades.get(ProductCatalogApi).priceItems(items);
    if (!pricing.ok) throw UnknownProducts(`No product ${pricing.productIds.join(', ')}`, { productIds: pricing.productIds });
    const { lines, currency } = linesOf(pricing.lines);
    const totalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
    if (totalCents <= 0) throw NothingToPay('An order must have something to pay for');
    if (!(await facades.get(PaymentServiceApi).isUsablePaymentMethod({ customerId, paymentMethodId: request.paymentMethodId }))) {
      throw PaymentMethodUnusable(`Payment method ${request.paymentMethodId} is not one of yours, or has expired`);
    }

    const orderId = uuidv7();
    return db.transaction(async (trx) => {
      const taken = await idempotencyKeys.claim(trx, customerId, idempotencyKey, hash, orderId);
      if (taken) return { id: taken, status: 'PENDING' as const, replayed: true };
      await orderStream.execute(trx, orderId, { type: 'PlaceOrder', orderId, customerId, lines, currency, paymentMethodId: request.paymentMethodId });
      await sagas.start(trx, placeOrderSaga, { lockKey: orderId, input: { orderId, customerId, paymentMethodId: request.paymentMethodId, items, totalCents, currency } });
      return { id: orderId, status: 'PENDING' as const, replayed: false };
    });
  }
}
