import { isSupportedCountry, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js';

/** A phone number as people write it, read into E.164 (`+442079460000`), or why it cannot be. */
export type PhoneNumberReading =
  | { ok: true; e164: string }
  | { ok: false; reason: 'needs-country' | 'invalid'; message: string };

// Digits with the usual separators; a leading + or 00 marks the international form. Letters and
// extensions are refused rather than silently dropped (the parser would turn "FLOWERS" into digits).
const WRITTEN_NUMBER = /^\+?[\d\s().\-/]+$/;
const SEPARATORS = /[\s().\-/]/g;

/**
 * Reads a phone number written with spaces, dashes, dots or parentheses, in international
 * form (`+44 20 7946 0000`, `0044 20 7946 0000`) or, when the country is known (the user's
 * address), in national form (`020 7946 0000` with `GB`). Only numbers valid for their country pass.
 * @example readPhoneNumber('+44 (0)20 7946 0000') // → { ok: true, e164: '+442079460000' }
 */
export function readPhoneNumber(written: string, country?: string): PhoneNumberReading {
  const text = written.trim();
  if (!WRITTEN_NUMBER.test(text)) return invalid('use digits, spaces, dashes, dots and parentheses only, e.g. +44 20 7946 0000');
  const compact = text.replace(SEPARATORS, '');
  const international = compact.startsWith('+') ? compact : compact.startsWith('00') ? `+${compact.slice(2)}` : undefined;
  const knownCountry = country !== undefined && isSupportedCountry(country) ? (country as CountryCode) : undefined;
  if (!international && !knownCountry) {
    return {
      ok: false,
      reason: 'needs-country',
      message: 'write the number in international form starting with + or 00 and the country code, e.g. +44 20 7946 0000 (a national number is read with the country of your address, and you have none)',
    };
  }
  try {
    const number = parsePhoneNumberWithError(international ?? compact, { ...(knownCountry ? { defaultCountry: knownCountry } : {}), extract: false });
    if (number.isValid()) return { ok: true, e164: number.number };
  } catch {
    // a ParseError (unknown country code, too short, too long) means the same as an invalid number
  }
  return invalid(international ? 'not a valid phone number' : `not a valid phone number in ${knownCountry} (the country of your address); an international number starts with + or 00`);
}

function invalid(message: string): PhoneNumberReading {
  return { ok: false, reason: 'invalid', message };
}
