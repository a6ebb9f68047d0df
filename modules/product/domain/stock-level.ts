/** A product's units: on hand (reserved ones included), reserved for open reservations, and sold. */
export interface StockLevel {
  onHand: number;
  reserved: number;
  sold: number;
}

/** A change of the three counters; every reservation move keeps `onHand + sold` constant. */
export type UnitMove = StockLevel;

export type MoveReason = 'reserved' | 'released' | 'committed';

/** Units that can still be promised to a new reservation. */
export const availableUnits = (level: StockLevel): number => level.onHand - level.reserved;

/**
 * How a reservation move shifts a product's counters by `quantity` units.
 * @example unitMove('committed', 2) // → { onHand: -2, reserved: -2, sold: 2 }
 */
export function unitMove(reason: MoveReason, quantity: number): UnitMove {
  switch (reason) {
    case 'reserved': return { onHand: 0, reserved: quantity, sold: 0 };
    case 'released': return { onHand: 0, reserved: -quantity, sold: 0 };
    // sold units leave the warehouse: they stop counting as on hand and as reserved
    case 'committed': return { onHand: -quantity, reserved: -quantity, sold: quantity };
    default: return unreachable(reason);
  }
}

export type StockSetDecision = { kind: 'set' } | { kind: 'unchanged' } | { kind: 'below-reserved'; reserved: number };

/**
 * An admin sets the unsold units on hand; it may not drop below what reservations already hold.
 * @example decideStockSet({ onHand: 5, reserved: 3, sold: 0 }, 2) // → { kind: 'below-reserved', reserved: 3 }
 */
export function decideStockSet(level: StockLevel, onHand: number): StockSetDecision {
  if (onHand < level.reserved) return { kind: 'below-reserved', reserved: level.reserved };
  return onHand === level.onHand ? { kind: 'unchanged' } : { kind: 'set' };
}

function unreachable(value: never): never {
  throw new Error(`unexpected move ${String(value)}`);
}
