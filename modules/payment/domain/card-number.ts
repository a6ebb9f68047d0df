import type { CardBrand } from '../contract.js';

/** Card numbers as customers type them: digits, optionally grouped with spaces. */
export const CARD_NUMBER_FORMAT = /^[\d ]+$/;
export const CARD_NUMBER_MIN_DIGITS = 12;
export const CARD_NUMBER_MAX_DIGITS = 19;

export function normalizeCardNumber(input: string): string {
  return input.replace(/ /g, '');
}

/**
 * The Luhn (mod 10) checksum every card number carries: it catches a mistyped digit
 * and most swapped neighbours before anything reaches a gateway.
 * @example passesLuhn('4242424242424242') // true
 */
export function passesLuhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Issuer ranges (IIN prefixes) of the brands we name; everything else is `unknown`. */
export function brandOf(digits: string): CardBrand {
  if (/^4/.test(digits)) return 'visa';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^5[1-5]/.test(digits)) return 'mastercard';
  const four = Number(digits.slice(0, 4));
  if (four >= 2221 && four <= 2720) return 'mastercard';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  return 'unknown';
}

/** The only part of a card number that may be shown, logged or published. */
export function lastFourOf(digits: string): string {
  return digits.slice(-4);
}
