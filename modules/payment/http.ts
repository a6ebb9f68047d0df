import type Router from '@koa/router';
import { z } from 'zod';
import type { ModuleKernel } from '../../src/app/module-definition.js';
import { cradleOf } from '../../src/app/request-scope.js';
import { principalOf } from '../../src/http/authenticate.js';
import { readBody, readQuery } from '../../src/http/validate.js';
import { CARD_NUMBER_FORMAT, CARD_NUMBER_MAX_DIGITS, CARD_NUMBER_MIN_DIGITS, normalizeCardNumber, passesLuhn } from './domain/card-number.js';
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
const IdempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits and ._:-').optional();

/** HTTP → use cases. No handler logs a body: card data must never reach a log line. */
export function paymentRoutes(router: Router, { guards }: Pick<ModuleKernel, 'guards'>): void {
  router.post('/api/v1/payment-methods', guards.requireUser, async (ctx) => {
    const input = readBody(ctx, NewPaymentMethodInput);
    const created = await cradleOf<PaymentServices>(ctx).paymentMethods.add(principalOf(ctx).userId, input);
    ctx.status = 201;
    ctx.body = created;
  });

  router.get('/api/v1/payment-methods', guards.requireUser, async (ctx) => {
    ctx.body = { items: await cradleOf<PaymentServices>(ctx).paymentMethods.list(principalOf(ctx).userId) };
  });

  router.get('/api/v1/payments', guards.requireUser, async (ctx) => {
    const query = readQuery(ctx, PaymentListQuery);
    ctx.body = { items: await cradleOf<PaymentServices>(ctx).paymentQueries.list(principalOf(ctx), query) };
  });

  router.post('/api/v1/payments/:id/refunds', guards.requireRole('admin'), async (ctx) => {
    const { id } = PaymentParams.parse(ctx.params);
    const { amountCents } = readBody(ctx, RefundInput);
    const requestKey = IdempotencyKey.parse(ctx.get('idempotency-key') || undefined);
    ctx.body = await cradleOf<PaymentServices>(ctx).refunds.request(id, amountCents, { requestedBy: principalOf(ctx).userId, ...(requestKey ? { requestKey } : {}) });
    ctx.status = 201;
  });
}
