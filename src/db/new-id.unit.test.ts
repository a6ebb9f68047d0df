import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { newId } from './new-id.js';

/** The 48-bit millisecond timestamp at the front of a UUIDv7. */
const millisecondsOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('newId', () => {
  it('makes valid, distinct UUIDv7s that only ever grow, thousands per millisecond included', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(ids.every((id) => validate(id) && version(id) === 7)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the time it was made', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(millisecondsOf(id)).toBeGreaterThanOrEqual(before);
    // At most one millisecond borrowed by a wrapped counter.
    expect(millisecondsOf(id)).toBeLessThanOrEqual(after + 1);
  });

  it('draws fresh random bits for every id, past the pool\'s refill', () => {
    const tails = Array.from({ length: 1_000 }, () => newId().slice(-12));
    expect(new Set(tails).size).toBe(tails.length);
  });
});
