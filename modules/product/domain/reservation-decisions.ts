import type { OrderItem, ReservationOutcome } from '../contract.js';
import { availableUnits, type StockLevel } from './stock-level.js';

export type ReservationStatus = 'RESERVED' | 'RELEASED' | 'COMMITTED';

/** Units per product id, iterated in id order: the order in which product rows are locked. */
export type ReservationLines = ReadonlyMap<string, number>;

export interface Reservation {
  id: string;
  status: ReservationStatus;
  lines: ReservationLines;
}

/**
 * The units a reservation asks for, duplicate products summed.
 * @example wantedUnits([{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }]) // → Map { a → 2, b → 4 }
 */
export function wantedUnits(items: readonly OrderItem[]): ReservationLines {
  const wanted = new Map<string, number>();
  for (const item of items) wanted.set(item.productId, (wanted.get(item.productId) ?? 0) + item.quantity);
  return new Map([...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export type ReserveDecision = { kind: 'answer'; outcome: ReservationOutcome } | { kind: 'hold'; lines: ReservationLines };

/**
 * A known reservation id gets the answer it got before (a retry never holds twice) and a
 * released one stays released; a new one holds every line or none.
 */
export function decideReserve(existing: Reservation | undefined, wanted: ReservationLines, stock: ReadonlyMap<string, StockLevel>): ReserveDecision {
  if (existing) return { kind: 'answer', outcome: existing.status === 'RELEASED' ? { ok: false, reason: 'already-released' } : { ok: true } };
  const short = [...wanted].filter(([productId, quantity]) => {
    const level = stock.get(productId);
    return !level || availableUnits(level) < quantity;
  });
  if (short.length > 0) return { kind: 'answer', outcome: { ok: false, reason: 'out-of-stock', productIds: short.map(([productId]) => productId) } };
  return { kind: 'hold', lines: wanted };
}

export type ReleaseDecision = { kind: 'tombstone' } | { kind: 'give-back'; lines: ReservationLines } | { kind: 'nothing' };

/** A release before its reserve leaves a tombstone, so the late reserve holds nothing. */
export function decideRelease(existing: Reservation | undefined): ReleaseDecision {
  if (!existing) return { kind: 'tombstone' };
  return existing.status === 'RESERVED' ? { kind: 'give-back', lines: existing.lines } : { kind: 'nothing' };
}

export type CommitDecision = { kind: 'sell'; lines: ReservationLines } | { kind: 'nothing' } | { kind: 'not-held'; status: 'unknown' | 'RELEASED' };

/** Only held units can be sold; a second commit finds them sold already and does nothing. */
export function decideCommit(existing: Reservation | undefined): CommitDecision {
  if (!existing) return { kind: 'not-held', status: 'unknown' };
  if (existing.status === 'RESERVED') return { kind: 'sell', lines: existing.lines };
  return existing.status === 'COMMITTED' ? { kind: 'nothing' } : { kind: 'not-held', status: 'RELEASED' };
}
