import { describe, expect, it } from 'vitest';
import { decideCommit, decideRelease, decideReserve, wantedUnits, type Reservation } from './reservation-decisions.js';
import { decideStockSet, unitMove, type StockLevel } from './stock-level.js';

const level = (onHand: number, reserved = 0, sold = 0): StockLevel => ({ onHand, reserved, sold });
const held = (status: Reservation['status']): Reservation => ({ id: 'r1', status, lines: new Map([['p1', 2]]) });

describe('a reservation', () => {
  it('asks for duplicate products once, summed, in lock (id) order', () => {
    expect([...wantedUnits([{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }])]).toEqual([['a', 2], ['b', 4]]);
  });

  it('holds every line when all are available, and names every short one otherwise', () => {
    const stock = new Map([['a', level(5, 3)], ['b', level(1)]]);
    expect(decideReserve(undefined, new Map([['a', 2], ['b', 1]]), stock)).toEqual({ kind: 'hold', lines: new Map([['a', 2], ['b', 1]]) });
    expect(decideReserve(undefined, new Map([['a', 3], ['b', 2], ['c', 1]]), stock))
      .toEqual({ kind: 'answer', outcome: { ok: false, reason: 'out-of-stock', productIds: ['a', 'b', 'c'] } });
  });

  it('answers a known id as before: held or sold is ok, released stays released', () => {
    const nothingLeft = new Map([['p1', level(0)]]);
    expect(decideReserve(held('RESERVED'), new Map([['p1', 2]]), nothingLeft)).toEqual({ kind: 'answer', outcome: { ok: true } });
    expect(decideReserve(held('COMMITTED'), new Map([['p1', 2]]), nothingLeft)).toEqual({ kind: 'answer', outcome: { ok: true } });
    expect(decideReserve(held('RELEASED'), new Map([['p1', 2]]), nothingLeft)).toEqual({ kind: 'answer', outcome: { ok: false, reason: 'already-released' } });
  });

  it('is released by leaving a tombstone when unknown, giving back when held, and otherwise not at all', () => {
    expect(decideRelease(undefined)).toEqual({ kind: 'tombstone' });
    expect(decideRelease(held('RESERVED'))).toEqual({ kind: 'give-back', lines: new Map([['p1', 2]]) });
    expect(decideRelease(held('RELEASED'))).toEqual({ kind: 'nothing' });
    expect(decideRelease(held('COMMITTED'))).toEqual({ kind: 'nothing' });
  });

  it('is committed only while it holds units', () => {
    expect(decideCommit(held('RESERVED'))).toEqual({ kind: 'sell', lines: new Map([['p1', 2]]) });
    expect(decideCommit(held('COMMITTED'))).toEqual({ kind: 'nothing' });
    expect(decideCommit(held('RELEASED'))).toEqual({ kind: 'not-held', status: 'RELEASED' });
    expect(decideCommit(undefined)).toEqual({ kind: 'not-held', status: 'unknown' });
  });
});

describe('units', () => {
  it('are conserved by every reservation move: on hand + sold never changes', () => {
    for (const reason of ['reserved', 'released', 'committed'] as const) {
      const move = unitMove(reason, 3);
      expect(move.onHand + move.sold, reason).toBe(0);
    }
  });

  it('can be set by an admin down to what reservations hold, not below', () => {
    expect(decideStockSet(level(5, 3), 2)).toEqual({ kind: 'below-reserved', reserved: 3 });
    expect(decideStockSet(level(5, 3), 3)).toEqual({ kind: 'set' });
    expect(decideStockSet(level(5, 3), 5)).toEqual({ kind: 'unchanged' });
  });
});
