import type { Knex } from 'knex';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import type { Problem } from '../../src/http/problem.js';
import { runWithContext, type RequestContext } from '../../src/observability/request-context.js';
import { InventoryChanged, type ReservationOutcome } from './contract.js';
import { ReservationNotHeld } from './domain/product-problems.js';
import { decideCommit, decideRelease, decideReserve, type Reservation, type ReservationLines } from './domain/reservation-decisions.js';
import { availableUnits, unitMove, type MoveReason, type StockLevel } from './domain/stock-level.js';
import type { ProductRepository } from './repository.js';
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

/** The state one transaction works on: locked reservations and locked product counters. */
interface Locked {
  reservations: Map<string, Reservation>;
  stock: Map<string, StockLevel>;
}

const OK: MoveResult = { kind: 'answered', outcome: { ok: true } };

/**
 * Applies inventory moves, in the order given, in ONE transaction: all reservation ids are
 * locked first, then all product rows in id order, so concurrent batches cannot deadlock;
 * every changed counter and its InventoryChanged event commit together.
 */
export class InventoryBatch {
  private readonly db: Knex;
  private readonly products: ProductRepository;
  private readonly reservations: ReservationRepository;
  private readonly outbox: OutboxWriter;

  constructor(deps: Pick<ProductCradle, 'db' | 'productRepository' | 'reservationRepository' | 'outbox'>) {
    this.db = deps.db;
    this.products = deps.productRepository;
    this.reservations = deps.reservationRepository;
    this.outbox = deps.outbox;
  }

  apply(queued: readonly QueuedMove[]): Promise<MoveResult[]> {
    return this.db.transaction(async (trx) => {
      const ids = [...new Set(queued.map(({ move }) => move.reservationId))];
      await this.reservations.lockIds(trx, ids);
      const reservations = await this.reservations.load(trx, ids);
      const stock = await this.products.lockStock(trx, productsTouched(queued, reservations));
      const results: MoveResult[] = [];
      for (const { move, context } of queued) {
        results.push(await runWithContext(context, () => this.applyOne(trx, move, { reservations, stock })));
      }
      return results;
    });
  }

  private async applyOne(trx: Knex.Transaction, move: InventoryMove, locked: Locked): Promise<MoveResult> {
    const id = move.reservationId;
    const existing = locked.reservations.get(id);
    switch (move.kind) {
      case 'reserve': {
        const decision = decideReserve(existing, move.wanted, locked.stock);
        if (decision.kind === 'answer') return { kind: 'answered', outcome: decision.outcome };
        await this.reservations.insert(trx, id, 'RESERVED', decision.lines);
        await this.moveUnits(trx, id, decision.lines, 'reserved', locked.stock);
        locked.reservations.set(id, { id, status: 'RESERVED', lines: decision.lines });
        return OK;
      }
      case 'release': {
        const decision = decideRelease(existing);
        if (decision.kind === 'nothing') return OK;
        if (decision.kind === 'tombstone') await this.reservations.insert(trx, id, 'RELEASED', new Map());
        else {
          await this.moveUnits(trx, id, decision.lines, 'released', locked.stock);
          await this.reservations.setStatus(trx, id, 'RELEASED');
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
        await this.moveUnits(trx, id, decision.lines, 'committed', locked.stock);
        await this.reservations.setStatus(trx, id, 'COMMITTED');
        locked.reservations.set(id, { id, status: 'COMMITTED', lines: decision.lines });
        return OK;
      }
      default:
        return unreachable(move);
    }
  }

  /** One counter update and one InventoryChanged per product, in lock (id) order. */
  private async moveUnits(trx: Knex.Transaction, reservationId: string, lines: ReservationLines, reason: MoveReason, stock: Map<string, StockLevel>): Promise<void> {
    for (const [productId, quantity] of lines) {
      const moved = await this.products.moveUnits(trx, productId, unitMove(reason, quantity));
      // Unreachable while the row lock is held; if it ever happens, the whole batch rolls back.
      if (!moved) throw new Error(`inventory of ${productId} changed under its lock while ${reason} ${quantity} for ${reservationId}`);
      stock.set(productId, moved.stock);
      await this.outbox.append(trx, InventoryChanged, {
        aggregateId: productId, aggregateVersion: moved.version,
        data: { productId, reason, reservationId, available: availableUnits(moved.stock), reserved: moved.stock.reserved, sold: moved.stock.sold },
      });
    }
  }
}

/** Every product a batch may move: what reserves ask for and what held reservations hold. */
function productsTouched(queued: readonly QueuedMove[], reservations: ReadonlyMap<string, Reservation>): Set<string> {
  const touched = new Set<string>();
  for (const { move } of queued) {
    const lines = move.kind === 'reserve' ? move.wanted : (reservations.get(move.reservationId)?.lines ?? new Map<string, number>());
    for (const productId of lines.keys()) touched.add(productId);
  }
  return touched;
}

function unreachable(move: never): never {
  throw new Error(`unknown inventory move ${JSON.stringify(move)}`);
}
