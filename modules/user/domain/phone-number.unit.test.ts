import { describe, expect, it } from 'vitest';
import { readPhoneNumber } from './phone-number.js';

describe('reading a phone number', () => {
  it.each([
    ['+44 20 7946 0000', undefined, '+442079460000'],
    ['+44-20-7946-0000', undefined, '+442079460000'],
    ['+44.20.7946.0000', undefined, '+442079460000'],
    ['+44 (0)20 7946 0000', undefined, '+442079460000'],
    ['0044 20 7946 0000', undefined, '+442079460000'],
    ['00 44 20 7946 0000', 'DE', '+442079460000'],
    ['  +4915112345678 ', undefined, '+4915112345678'],
    ['+1 (415) 555-2671', undefined, '+14155552671'],
    ['020 7946 0000', 'GB', '+442079460000'],
    ['(030) 1234567', 'DE', '+49301234567'],
    ['030/1234567', 'DE', '+49301234567'],
    ['0151 12345678', 'DE', '+4915112345678'],
    ['+44 20 7946 0000', 'DE', '+442079460000'],
  ])('%s (country %s) is stored as %s', (written, country, e164) => {
    expect(readPhoneNumber(written, country)).toEqual({ ok: true, e164 });
  });

  it.each([
    ['020 7946 0000', undefined],
    ['12345', undefined],
    ['020 7946 0000', 'XX'],
  ])('a national number %s without a known country asks for the international form', (written, country) => {
    const reading = readPhoneNumber(written, country);
    expect(reading).toMatchObject({ ok: false, reason: 'needs-country' });
    expect(reading.ok || reading.message).toMatch(/international form.*\+44 20 7946 0000/);
  });

  it.each([
    ['+44 20 7946 000', undefined],
    ['+999 1234567', undefined],
    ['12345', 'GB'],
    ['+1 800 FLOWERS', undefined],
    ['+44 20 7946 0000 ext. 12', undefined],
    ['call +44 20 7946 0000', undefined],
    ['++44 20 7946 0000', undefined],
    ['', 'GB'],
  ])('%s (country %s) is not a valid number', (written, country) => {
    expect(readPhoneNumber(written, country)).toMatchObject({ ok: false, reason: 'invalid', message: expect.any(String) });
  });

  it('names the country it read a national number with', () => {
    expect(readPhoneNumber('12345', 'GB')).toMatchObject({ ok: false, message: expect.stringContaining('GB') });
  });
});
