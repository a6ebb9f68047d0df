import { problemKind } from '../../../src/http/problem.js';

export const OrderNotFound = problemKind(404, 'order-not-found', 'Order not found');
export const IdempotencyKeyMissing = problemKind(400, 'idempotency-key-missing', 'Idempotency-Key header required');
export const IdempotencyKeyReused = problemKind(422, 'idempotency-key-reused', 'Idempotency-Key already used for another request');
export const UnknownProducts = problemKind(422, 'unknown-products', 'Some products do not exist');
export const MixedCurrencies = problemKind(422, 'mixed-currencies', 'Products are priced in different currencies');
export const NothingToPay = problemKind(422, 'nothing-to-pay', 'The order total is zero');
export const PaymentMethodUnusable = problemKind(422, 'payment-method-unusable', 'The payment method cannot be used');
export const OrderNotCancellable = problemKind(409, 'order-not-cancellable', 'The order cannot be cancelled now');
/** a business rule refused a command on the order's current state */
export const OrderRuleBroken = problemKind(409, 'order-rule-broken', 'The order does not allow this now');
