import type { Knex } from 'knex';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import type { Problem } from '../../src/http/problem.js';
import { runWithContext, type RequestContext } from '../../src/observability/request-context.js';
import { InventoryChanged, type ReservationOutcome } from './contract.js';
import { ReservationNotHeld } from './domain/product-problems.js';
import { decideCommit, decideRelease, decideReserve, type Reservation, type ReservationLines } from './domain/reservation-decisions.js';
import { availableUnits, unitMove, type MoveReason, type StockLevel, type UnitMove } from './domain/stock-level.js';
import { lockInventoryState } from './inventory-state.js';
import { InventoryWrites } from './inventory-writes.js';
import type { MovedStock } from './repository.js';
import type { ReservationRepository } from './reservation-repository.js';
import type { ProductCradle } from './product-services.js';

export type InventoryMove =
  | { kind: 'reserve'; reservationId: string; wanted: ReservationLines }
  | { kind: 'release'; reservationId: string }
  | { kind: 'commit'; reservationId: string };

/** A move and the request it came from, whose correlation id its events carry. */
export interface QueuedMove {
  move: InventoryMove;
  context: RequestContext;
}

/** What a move answers; a refusal is a decision, not a failure, and rolls nothing back. */
export type MoveResult = { kind: 'answered'; outcome: ReservationOutcome } | { kind: 'refused'; problem: Problem };

/** The state one transaction works on: locked reservations and locked product counters, and what it will write. */
interface Locked {
  reservations: Map<string, Reservation>;
  stock: Map<string, MovedStock>;
  writes: InventoryWrites;
}

const OK: MoveResult = { kind: 'answered', outcome: { ok: true } };

/**
 * Applies inventory moves, in the order given, in ONE transaction: all reservation ids are
 * locked first, then all product rows in id order, so concurrent batches cannot deadlock.
 * Moves are decided in turn on the locked state, then everything they change (counters,
 * reservations, an InventoryChanged per move and product) is written in one statement.
 */
export class InventoryBatch {
  private readonly db: Knex;
  private readonly reservations: ReservationRepository;
  private readonly outbox: OutboxWriter;

  constructor(deps: Pick<ProductCradle, 'db' | 'reservationRepository' | 'outbox'>) {
    this.db = deps.db;
    this.reservations = deps.reservationRepository;
    this.outbox = deps.outbox;
  }

  apply(queued: readonly QueuedMove[]): Promise<MoveResult[]> {
    return this.db.transaction(async (trx) => {
      const ids = [...new Set(queued.map(({ move }) => move.reservationId))];
      await this.reservations.lockIds(trx, ids);
      const { reservations, stock } = await lockInventoryState(trx, {
        reservationIds: ids, holdingIds: idsHolding(queued), productIds: productsAskedFor(queued),
      });
      const locked: Locked = { reservations, stock, writes: new InventoryWrites(this.outbox) };
      const results = queued.map(({ move, context }) => runWithContext(context, () => this.applyOne(move, locked)));
      await locked.writes.flush(trx);
      return results;
    });
  }

  private applyOne(move: InventoryMove, locked: Locked): MoveResult {
    const id = move.reservationId;
    const existing = locked.reservations.get(id);
    const { writes } = locked;
    switch (move.kind) {
      case 'reserve': {
        const decision = decideReserve(existing, move.wanted, levels(locked.stock));
        if (decision.kind === 'answer') return { kind: 'answered', outcome: decision.outcome };
        writes.createReservation(id, 'RESERVED', decision.lines);
        this.moveUnits(id, decision.lines, 'reserved', locked);
        locked.reservations.set(id, { id, status: 'RESERVED', lines: decision.lines });
        return OK;
      }
      case 'release': {
        const decision = decideRelease(existing);
        if (decision.kind === 'nothing') return OK;
        if (decision.kind === 'tombstone') writes.createReservation(id, 'RELEASED', new Map());
        else {
          this.moveUnits(id, decision.lines, 'released', locked);
          writes.setStatus(id, 'RELEASED');
        }
        locked.reservations.set(id, { id, status: 'RELEASED', lines: existing?.lines ?? new Map() });
        return OK;
      }
      case 'commit': {
        const decision = decideCommit(existing);
        if (decision.kind === 'not-held') {
          return { kind: 'refused', problem: ReservationNotHeld(`Reservation ${id} is ${decision.status === 'unknown' ? 'unknown' : 'released'}; there are no units to sell`) };
        }
        if (decision.kind === 'nothing') return OK;
        this.moveUnits(id, decision.lines, 'committed', locked);
        writes.setStatus(id, 'COMMITTED');
        locked.reservations.set(id, { id, status: 'COMMITTED', lines: decision.lines });
        return OK;
      }
      default:
        return unreachable(move);
    }
  }

  /** One counter change (and one version) and one InventoryChanged per product, in lock (id) order. */
  private moveUnits(reservationId: string, lines: ReservationLines, reason: MoveReason, locked: Locked): void {
    for (const [productId, quantity] of lines) {
      const current = locked.stock.get(productId);
      // Unreachable: every product a move touches was locked; if it ever happens, the whole batch rolls back.
      if (!current) throw new Error(`product ${productId} was not locked while ${reason} ${quantity} for ${reservationId}`);
      const moved = { stock: shifted(current.stock, unitMove(reason, quantity)), version: current.version + 1 };
      // The database's CHECKs refuse these too; failing here names the move.
      if (!isPossible(moved.stock)) throw new Error(`${reason} ${quantity} of ${productId} for ${reservationId} would leave ${JSON.stringify(moved.stock)}`);
      locked.stock.set(productId, moved);
      locked.writes.setStock(productId, current.version, moved);
      locked.writes.publish(this.outbox.prepare(InventoryChanged, {
        aggregateId: productId, aggregateVersion: moved.version,
        data: { productId, reason, reservationId, available: availableUnits(moved.stock), reserved: moved.stock.reserved, sold: moved.stock.sold },
      }));
    }
  }
}

const levels = (stock: ReadonlyMap<string, MovedStock>): Map<string, StockLevel> => new Map([...stock].map(([id, row]) => [id, row.stock]));

const shifted = (level: StockLevel, move: UnitMove): StockLevel =>
  ({ onHand: level.onHand + move.onHand, reserved: level.reserved + move.reserved, sold: level.sold + move.sold });

/** What the table's CHECK constraints allow: no negative counter, no more reserved than on hand. */
const isPossible = (level: StockLevel): boolean => level.onHand >= 0 && level.reserved >= 0 && level.sold >= 0 && level.reserved <= level.onHand;

/** The products that reserves ask for. With the lines of the reservations that idsHolding names, every product a batch may move. */
function productsAskedFor(queued: readonly QueuedMove[]): Set<string> {
  const asked = new Set<string>();
  for (const { move } of queued) if (move.kind === 'reserve') for (const productId of move.wanted.keys()) asked.add(productId);
  return asked;
}

/** The reservations whose own lines say what a release or commit moves. */
function idsHolding(queued: readonly QueuedMove[]): string[] {
  return [...new Set(queued.flatMap(({ move }) => (move.kind === 'reserve' ? [] : [move.reservationId])))];
}

function unreachable(move: never): never {
  throw new Error(`unknown inventory move ${JSON.stringify(move)}`);
}
