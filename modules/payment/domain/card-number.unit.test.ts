import { describe, expect, it } from 'vitest';
import { brandOf, lastFourOf, normalizeCardNumber, passesLuhn } from './card-number.js';

describe('card numbers', () => {
  it.each(['4242424242424242', '4000000000000002', '5555555555554444', '378282246310005', '6011111111111117', '2223003122003222'])('%s passes the Luhn check', (digits) => {
    expect(passesLuhn(digits)).toBe(true);
  });

  it.each(['4242424242424241', '1234567812345678', '42424242424242x2', ''])('%s fails the Luhn check', (digits) => {
    expect(passesLuhn(digits)).toBe(false);
  });

  it('catches a mistyped digit and swapped neighbours', () => {
    expect(passesLuhn('4242424242424243')).toBe(false);
    expect(passesLuhn('2424424242424242')).toBe(false);
  });

  it.each([
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['341111111111111', 'amex'],
    ['6011111111111117', 'discover'],
    ['6500000000000002', 'discover'],
    ['3530111333300000', 'unknown'],
  ] as const)('%s is %s', (digits, brand) => {
    expect(brandOf(digits)).toBe(brand);
  });

  it('drops the spaces customers type and shows the last four only', () => {
    const digits = normalizeCardNumber('4242 4242 4242 4242');
    expect(digits).toBe('4242424242424242');
    expect(lastFourOf(digits)).toBe('4242');
  });
});
