import type { Knex } from 'knex';
import { newId } from '../../src/db/new-id.js';
import type { ModuleFacades } from '../../src/app/module-facades.js';
import { SharedTransactions } from '../../src/db/shared-transactions.js';
import { isProblem } from '../../src/http/problem.js';
import { callerContext } from '../../src/events/group-commit.js';
import type { SagaEngine } from '../../src/saga/saga-engine.js';
import { PaymentServiceApi } from '../payment/index.js';
import { ProductCatalogApi, type OrderItem, type PricedLine } from '../product/index.js';
import type { OrderLine } from './contract.js';
import type { OrderCommand } from './domain/order-decider.js';
import { MixedCurrencies, NothingToPay, PaymentMethodUnusable, UnknownProducts } from './domain/order-problems.js';
import { requestHash, type IdempotencyKeys } from './idempotency-keys.js';
import type { OrderStream } from './order-stream.js';
import { placeOrderSaga } from './saga/place-order-saga.js';
import type { PlaceOrderState } from './saga/place-order-state.js';

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

/** What the product and payment modules made of a request. */
interface CheckedOrder {
  items: OrderItem[];
  lines: OrderLine[];
  currency: string;
  totalCents: number;
}

/** An order priced and checked, to be written; `answer` is filled in once it committed. */
interface Placement {
  customerId: string;
  idempotencyKey: string;
  hash: string;
  order: Omit<PlaceOrderCommand, 'type'>;
  saga: PlaceOrderState;
  /** writes it as its own request (correlation id, actor, trace), whichever request started the shared transaction */
  asCaller: <T>(work: () => T) => T;
  answer?: PlacedOrderAnswer;
}

type PlaceOrderCommand = Extract<OrderCommand, { type: 'PlaceOrder' }>;

/**
 * Orders accepted while earlier ones are committing share the next transaction: under load
 * many POSTs cost one BEGIN, one COMMIT and one log flush, while a lone POST still commits at
 * once. Each order is written by its own statements, so one that fails (a key reused with
 * another request) fails alone: the shared transaction is then retried order by order.
 */
const LIMITS = { maxBatch: 50, maxInFlight: 2 };

/**
 * Placing an order: priced and checked first (calls to the product and payment modules,
 * outside any transaction), then the order, its idempotency key and its saga commit together,
 * so an accepted order always gets its saga and a retried request never a second order.
 */
export class OrderPlacement {
  private readonly deps: { db: Knex; orderStream: OrderStream; idempotencyKeys: IdempotencyKeys; sagas: SagaEngine; facades: ModuleFacades };
  private readonly placements: SharedTransactions<Placement>;

  constructor(deps: { db: Knex; orderStream: OrderStream; idempotencyKeys: IdempotencyKeys; sagas: SagaEngine; facades: ModuleFacades }) {
    this.deps = deps;
    this.placements = new SharedTransactions(deps.db, async (trx, placements) => {
      for (const placement of placements) placement.answer = await placement.asCaller(() => this.write(trx, placement));
    }, LIMITS);
  }

  async place(customerId: string, idempotencyKey: string, request: OrderRequest): Promise<PlacedOrderAnswer> {
    const hash = requestHash(request);
    let checked: CheckedOrder;
    try {
      checked = await this.checked(customerId, request);
    } catch (error) {
      // A retried request gets its order back even if it would no longer pass (a product gone, a
      // card expired since), and a key reused for another request is refused as such (422).
      if (!isProblem(error)) throw error;
      const earlier = await this.deps.idempotencyKeys.find(customerId, idempotencyKey, hash);
      if (earlier) return { id: earlier, status: 'PENDING', replayed: true };
      throw error;
    }
    const { items, lines, currency, totalCents } = checked;
    const orderId = newId();
    const placement: Placement = {
      customerId, idempotencyKey, hash,
      order: { orderId, customerId, lines, currency, paymentMethodId: request.paymentMethodId },
      saga: { orderId, customerId, paymentMethodId: request.paymentMethodId, items, totalCents, currency },
      asCaller: callerContext(),
    };
    await this.placements.run(placement);
    return placement.answer!;
  }

  /**
   * Priced and checked by the product and payment modules. No look-up of the key first: a
   * retried request is recognised when its key is claimed (see `write`), so the usual request,
   * a new one, costs no query for it; only a request that fails here looks for an earlier one.
   */
  private async checked(customerId: string, request: OrderRequest): Promise<CheckedOrder> {
    const { facades } = this.deps;
    const items = mergedItems(request.items);
    const pricing = await facades.get(ProductCatalogApi).priceItems(items);
    if (!pricing.ok) throw UnknownProducts(`No product ${pricing.productIds.join(', ')}`, { productIds: pricing.productIds });
    const { lines, currency } = linesOf(pricing.lines);
    const totalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
    if (totalCents <= 0) throw NothingToPay('An order must have something to pay for');
    if (!(await facades.get(PaymentServiceApi).isUsablePaymentMethod({ customerId, paymentMethodId: request.paymentMethodId }))) {
      throw PaymentMethodUnusable(`Payment method ${request.paymentMethodId} is not one of yours, or has expired`);
    }
    return { items, lines, currency, totalCents };
  }

  /** The order, its key and its saga, in the (maybe shared) transaction; safe to apply again after a rollback. */
  private async write(trx: Knex.Transaction, placement: Placement): Promise<PlacedOrderAnswer> {
    const { orderStream, idempotencyKeys, sagas } = this.deps;
    const { customerId, idempotencyKey, hash, order } = placement;
    const placed = await orderStream.place(trx, { type: 'PlaceOrder', ...order }, { customerId, key: idempotencyKey, hash });
    if (!placed) {
      // The key was claimed first by another request: its order is the answer (or a 422 for another body).
      const earlier = await idempotencyKeys.find(customerId, idempotencyKey, hash, trx);
      if (!earlier) throw new Error(`Idempotency-Key ${idempotencyKey} was claimed, yet holds no order`);
      return { id: earlier, status: 'PENDING', replayed: true };
    }
    await sagas.start(trx, placeOrderSaga, { lockKey: order.orderId, input: placement.saga });
    return { id: order.orderId, status: 'PENDING', replayed: false };
  }
}
