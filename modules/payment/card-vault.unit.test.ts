import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CardVault, parseKeyring, UnknownCardKey } from './card-vault.js';

const key = () => randomBytes(32).toString('base64');
const binding = { paymentMethodId: '0190a000-0000-7000-8000-000000000001', customerId: '0190a000-0000-7000-8000-0000000000c1' };
const CARD = '4242424242424242';

describe('the card vault', () => {
  const oldKey = `k1:${key()}`;
  const newKey = `k2:${key()}`;

  it('seals a card number and opens it again', () => {
    const vault = new CardVault(parseKeyring(oldKey));
    const sealed = vault.seal(CARD, binding);
    expect(sealed.keyId).toBe('k1');
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.authTag).toHaveLength(16);
    expect(sealed.ciphertext.toString('utf8')).not.toContain(CARD);
    expect(vault.open(sealed, binding)).toBe(CARD);
  });

  it('uses a fresh IV for every card, so equal numbers do not look equal', () => {
    const vault = new CardVault(parseKeyring(oldKey));
    const a = vault.seal(CARD, binding);
    const b = vault.seal(CARD, binding);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it('after a rotation seals with the new key and still opens cards sealed with the old one', () => {
    const before = new CardVault(parseKeyring(oldKey)).seal(CARD, binding);
    const rotated = new CardVault(parseKeyring(`${newKey},${oldKey}`));
    expect(rotated.open(before, binding)).toBe(CARD);
    const after = rotated.seal(CARD, binding);
    expect(after.keyId).toBe('k2');
    expect(rotated.open(after, binding)).toBe(CARD);
  });

  it('refuses a card whose key was removed from the keyring', () => {
    const sealed = new CardVault(parseKeyring(oldKey)).seal(CARD, binding);
    expect(() => new CardVault(parseKeyring(newKey)).open(sealed, binding)).toThrow(UnknownCardKey);
  });

  it('refuses a card moved to another payment method or customer (bound as additional data)', () => {
    const vault = new CardVault(parseKeyring(oldKey));
    const sealed = vault.seal(CARD, binding);
    expect(() => vault.open(sealed, { ...binding, customerId: '0190a000-0000-7000-8000-0000000000c2' })).toThrow();
    expect(() => vault.open(sealed, { ...binding, paymentMethodId: '0190a000-0000-7000-8000-000000000002' })).toThrow();
  });

  it('refuses a tampered ciphertext or tag', () => {
    const vault = new CardVault(parseKeyring(oldKey));
    const sealed = vault.seal(CARD, binding);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = flipped[0]! ^ 1;
    expect(() => vault.open({ ...sealed, ciphertext: flipped }, binding)).toThrow();
    expect(() => vault.open({ ...sealed, authTag: randomBytes(16) }, binding)).toThrow();
  });

  it('reads a keyring and rejects a malformed one', () => {
    expect(parseKeyring(`${newKey},${oldKey}`).current).toBe('k2');
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyring(`${oldKey},${oldKey}`)).toThrow(/twice/);
  });
});
