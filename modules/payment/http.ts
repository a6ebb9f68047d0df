import { z } from 'zod';
import { cradleOf } from '../../src/app/request-scope.js';
import type { ApiRoutes } from '../../src/http/api/api-routes.js';
import { CardBrand, PaymentFailureReason } from './contract.js';
import { CARD_NUMBER_FORMAT, CARD_NUMBER_MAX_DIGITS, CARD_NUMBER_MIN_DIGITS, normalizeCardNumber, passesLuhn } from './domain/card-number.js';
import { CardExpired, IdempotencyKeyReused, PaymentNotFound, PaymentNotRefundable, RefundExceedsCapture } from './domain/payment-problems.js';
import type { PaymentServices } from './payment-services.js';

// Messages never quote the input: a rejected card number must not travel back in a problem document.
const CardNumber = z.string().max(40).regex(CARD_NUMBER_FORMAT, 'digits, optionally grouped with spaces')
  .transform(normalizeCardNumber)
  .pipe(z.string()
    .min(CARD_NUMBER_MIN_DIGITS, `${CARD_NUMBER_MIN_DIGITS} to ${CARD_NUMBER_MAX_DIGITS} digits`)
    .max(CARD_NUMBER_MAX_DIGITS, `${CARD_NUMBER_MIN_DIGITS} to ${CARD_NUMBER_MAX_DIGITS} digits`)
    .refine(passesLuhn, 'not a valid card number (Luhn check)'));
const NewPaymentMethodInput = z.strictObject({
  cardNumber: CardNumber,
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  cvc: z.string().regex(/^\d{3,4}$/, '3 or 4 digits'),
});
const PaymentListQuery = z.strictObject({
  orderId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const PaymentParams = z.strictObject({ id: z.uuid() });
const RefundInput = z.strictObject({ amountCents: z.number().int().positive().max(100_000_000) });
const RefundHeaders = z.object({
  'Idempotency-Key': z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits and ._:-').optional()
    .describe('a repeated key answers with the first refund instead of refunding twice'),
});

const Timestamp = z.iso.datetime({ offset: true });
const PaymentMethod = z.object({
  id: z.uuid(), brand: CardBrand, last4: z.string().regex(/^\d{4}$/), expMonth: z.number().int(), expYear: z.number().int(),
}).meta({ id: 'PaymentMethod', description: 'A saved card: never its number, only brand and last four digits' });
const Payment = z.object({
  id: z.uuid(), orderId: z.uuid(),
  status: z.enum(['PENDING', 'CHARGING', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'FAILED', 'CANCELLED']),
  amountCents: z.number().int(), currency: z.string(), refundedCents: z.number().int(),
  brand: CardBrand.nullable(), last4: z.string().nullable(), failureReason: PaymentFailureReason.nullable(),
  createdAt: Timestamp, updatedAt: Timestamp,
}).meta({ id: 'Payment', description: 'The charge of an order and what was refunded of it' });
const Refund = z.object({
  id: z.uuid(), paymentId: z.uuid(), amountCents: z.number().int(), currency: z.string(),
  status: z.enum(['PENDING', 'SUCCEEDED', 'FAILED']), reason: z.enum(['order-cancelled', 'admin']),
  createdAt: Timestamp, completedAt: Timestamp.nullable(),
}).meta({ id: 'Refund', description: 'Money given back on a payment; PENDING until the gateway confirms' });
const TAG_METHODS = 'payment methods';
const TAG_PAYMENTS = 'payments';

/** HTTP → use cases. No handler logs a body: card data must never reach a log line. */
export function paymentRoutes(api: ApiRoutes): void {
  api.describeTag(TAG_METHODS, 'Cards saved for paying orders, stored encrypted');
  api.describeTag(TAG_PAYMENTS, 'Charges of orders, and refunds by an admin');

  api.route({
    operationId: 'addPaymentMethod', method: 'post', path: '/api/v1/payment-methods', summary: 'Save a card', tags: [TAG_METHODS], access: 'user',
    description: 'The number is Luhn-checked and stored encrypted; the CVC is checked and never stored.',
    request: { body: NewPaymentMethodInput },
    responses: { 201: { description: 'The saved card', body: PaymentMethod } },
    problems: [CardExpired],
  }).handle(async ({ body, principal }, ctx) => ({ status: 201, body: await cradleOf<PaymentServices>(ctx).paymentMethods.add(principal.userId, body) }));

  api.route({
    operationId: 'listPaymentMethods', method: 'get', path: '/api/v1/payment-methods', summary: 'List your saved cards', tags: [TAG_METHODS], access: 'user',
    responses: { 200: { description: 'The caller’s cards', body: z.object({ items: z.array(PaymentMethod) }) } },
  }).handle(async ({ principal }, ctx) => ({ status: 200, body: { items: await cradleOf<PaymentServices>(ctx).paymentMethods.list(principal.userId) } }));

  api.route({
    operationId: 'listPayments', method: 'get', path: '/api/v1/payments', summary: 'List payments of your orders', tags: [TAG_PAYMENTS], access: 'user',
    description: 'An admin sees every customer’s payments.',
    request: { query: PaymentListQuery },
    responses: { 200: { description: 'Payments, newest first', body: z.object({ items: z.array(Payment) }) } },
  }).handle(async ({ query, principal }, ctx) => ({ status: 200, body: { items: await cradleOf<PaymentServices>(ctx).paymentQueries.list(principal, query) } }));

  api.route({
    operationId: 'refundPayment', method: 'post', path: '/api/v1/payments/:id/refunds', summary: 'Refund part or all of a captured payment', tags: [TAG_PAYMENTS], access: 'admin',
    description: 'Refunds under way count against what is left to refund; the answer may still be PENDING.',
    request: { params: PaymentParams, headers: RefundHeaders, body: RefundInput },
    responses: { 201: { description: 'The refund', body: Refund } },
    problems: [PaymentNotFound, PaymentNotRefundable, RefundExceedsCapture, IdempotencyKeyReused],
  }).handle(async ({ params, headers, body, principal }, ctx) => {
    const requestKey = headers['Idempotency-Key'];
    const refund = await cradleOf<PaymentServices>(ctx).refunds.request(params.id, body.amountCents, { requestedBy: principal.userId, ...(requestKey ? { requestKey } : {}) });
    return { status: 201, body: refund };
  });
}
