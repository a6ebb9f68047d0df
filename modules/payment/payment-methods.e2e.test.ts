import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../registry.js';
import { CardVault, parseKeyring } from './card-vault.js';
import { addCard, newCustomer, startPaymentPlatform, type Customer, type PaymentTestPlatform } from './testing/payment-test-kit.js';

const OLD_KEY = 'old-1:b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleSE=';
const NEW_KEY = 'new-2:bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE=';

let t: PaymentTestPlatform;
let ada: Customer;
const nextYear = new Date().getUTCFullYear() + 1;

const methodCount = async () => Number((await t.sql.query('SELECT count(*) FROM payments.payment_methods')).rows[0].count);

function expectProblem(res: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (code) expect(res.body).toMatchObject({ status, code });
}

beforeAll(async () => {
  t = await startPaymentPlatform(allModules, { env: { PAYMENT_ENCRYPTION_KEY: OLD_KEY } });
  ada = await newCustomer(t);
});

afterAll(async () => {
  await t?.close();
});

describe('saving a card', () => {
  it('answers 201 with brand and last four only, and lists the caller\'s own cards', async () => {
    const res = await t.http.post('/api/v1/payment-methods', { token: ada.token, body: { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: nextYear, cvc: '123' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), brand: 'visa', last4: '4242', expMonth: 12, expYear: nextYear });

    const bob = await newCustomer(t);
    await addCard(t, bob, '5555555555554444');
    const list = await t.http.get('/api/v1/payment-methods', { token: ada.token });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([res.body]);
    expect(JSON.stringify(list.body)).not.toContain('4242424242424242');
  });

  it('stores the number sealed with AES-256-GCM under the key id, and no CVC', async () => {
    const id = await addCard(t, ada, '4000000000000002');
    const { rows } = await t.sql.query('SELECT * FROM payments.payment_methods WHERE id = $1', [id]);
    const row = rows[0];
    expect(row.card_key_id).toBe('old-1');
    expect(row.card_iv).toHaveLength(12);
    expect(row.card_auth_tag).toHaveLength(16);
    const everything = JSON.stringify(row) + Buffer.concat([row.card_iv, row.card_auth_tag, row.card_ciphertext]).toString('latin1');
    expect(everything).not.toContain('4000000000000002');
    expect(Object.keys(row).some((column) => /cvc|cvv/i.test(column))).toBe(false);
    // Opens with the key it names, bound to the method and its owner.
    const sealed = { keyId: row.card_key_id, iv: row.card_iv, authTag: row.card_auth_tag, ciphertext: row.card_ciphertext };
    expect(new CardVault(parseKeyring(OLD_KEY)).open(sealed, { paymentMethodId: id, customerId: ada.id })).toBe('4000000000000002');
  });

  it('after a key rotation still opens cards sealed with the older key id', async () => {
    const id = await addCard(t, ada, '4242424242424242');
    const rotated = new CardVault(parseKeyring(`${NEW_KEY},${OLD_KEY}`));
    const { rows } = await t.sql.query('SELECT * FROM payments.payment_methods WHERE id = $1', [id]);
    const sealed = { keyId: rows[0].card_key_id, iv: rows[0].card_iv, authTag: rows[0].card_auth_tag, ciphertext: rows[0].card_ciphertext };
    expect(rotated.open(sealed, { paymentMethodId: id, customerId: ada.id })).toBe('4242424242424242');
  });
});

describe('bad card input is a 4xx problem that stores nothing', () => {
  const valid = { cardNumber: '4242424242424242', expMonth: 12, expYear: nextYear, cvc: '123' };

  it.each([
    ['a wrong type', { ...valid, expMonth: '12' }, 400],
    ['a number as card number', { ...valid, cardNumber: 4242424242424242 }, 400],
    ['an unknown field', { ...valid, holder: 'Ada' }, 400],
    ['a missing cvc', { cardNumber: valid.cardNumber, expMonth: 12, expYear: nextYear }, 400],
    ['a bad Luhn checksum', { ...valid, cardNumber: '4242424242424241' }, 400],
    ['letters in the number', { ...valid, cardNumber: '4242-4242-4242-4242' }, 400],
    ['too few digits', { ...valid, cardNumber: '42424242424' }, 400],
    ['too many digits', { ...valid, cardNumber: '42424242424242424242' }, 400],
    ['a month 13', { ...valid, expMonth: 13 }, 400],
    ['a 2-digit cvc', { ...valid, cvc: '12' }, 400],
    ['an expired card', { ...valid, expMonth: 1, expYear: 2020 }, 422],
    ['a card that expired last month', { ...valid, ...lastMonth() }, 422],
    ['a JSON array', [valid], 400],
  ])('%s', async (_name, body, status) => {
    const before = await methodCount();
    const res = await t.http.post('/api/v1/payment-methods', { token: ada.token, body });
    expectProblem(res, status as number);
    expect(JSON.stringify(res.body)).not.toMatch(/4242424242424241|4242424242424242/);
    expect(await methodCount()).toBe(before);
  });

  it.each([
    ['no token', {}],
    ['a forged token', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl' }],
  ])('with %s → 401 on every route', async (_name, auth) => {
    const before = await methodCount();
    expectProblem(await t.http.post('/api/v1/payment-methods', { ...auth, body: valid }), 401, 'unauthenticated');
    expectProblem(await t.http.get('/api/v1/payment-methods', auth), 401, 'unauthenticated');
    expectProblem(await t.http.get('/api/v1/payments', auth), 401, 'unauthenticated');
    expect(await methodCount()).toBe(before);
  });

  it('tells whether a method is usable: the owner\'s and unexpired only', async () => {
    const id = await addCard(t, ada);
    const bob = await newCustomer(t);
    const facade = t.platform.modules.find((m) => m.definition.name === 'payment')!.definition.facade!(
      t.platform.modules.find((m) => m.definition.name === 'payment')!.container,
    ) as import('./contract.js').PaymentService;
    expect(await facade.isUsablePaymentMethod({ customerId: ada.id, paymentMethodId: id })).toBe(true);
    expect(await facade.isUsablePaymentMethod({ customerId: bob.id, paymentMethodId: id })).toBe(false);
    expect(await facade.isUsablePaymentMethod({ customerId: ada.id, paymentMethodId: '0190a000-0000-7000-8000-000000000000' })).toBe(false);
    expect(await facade.isUsablePaymentMethod({ customerId: ada.id, paymentMethodId: 'not-a-uuid' })).toBe(false);
  });
});

function lastMonth() {
  const now = new Date();
  const month = now.getUTCMonth(); // 0-based: the previous month, 1-based
  return month === 0 ? { expMonth: 12, expYear: now.getUTCFullYear() - 1 } : { expMonth: month, expYear: now.getUTCFullYear() };
}
