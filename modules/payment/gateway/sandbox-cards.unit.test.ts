import { describe, expect, it } from 'vitest';
import { decideCharge, sandboxBehaviour } from './sandbox-cards.js';

describe('sandbox test cards', () => {
  it('approves 4242… and any card it does not know', () => {
    expect(decideCharge('4242424242424242', 1)).toEqual({ kind: 'approve' });
    expect(decideCharge('5555555555554444', 1)).toEqual({ kind: 'approve' });
  });

  it('declines 4000…0002 and 4000…9995 (insufficient funds), whatever the attempt', () => {
    expect(decideCharge('4000000000000002', 1)).toMatchObject({ kind: 'decline', reason: 'declined' });
    expect(decideCharge('4000000000009995', 5)).toMatchObject({ kind: 'decline', reason: 'insufficient-funds' });
  });

  it('fails 4000…0119 on the first two attempts for a key, then approves', () => {
    expect([1, 2, 3, 4].map((attempt) => decideCharge('4000000000000119', attempt).kind)).toEqual(['unavailable', 'unavailable', 'approve', 'approve']);
  });

  it('answers 4000…6975 slowly', () => {
    expect(sandboxBehaviour('4000000000006975')).toBe('slow');
    expect(decideCharge('4000000000006975', 1)).toEqual({ kind: 'slow' });
  });
});
