import { newId } from '../../src/db/new-id.js';
import { GroupCommit, togetherThenAlone } from '../../src/events/group-commit.js';
import { currentContext } from '../../src/observability/request-context.js';
import type { ReservationOutcome } from './contract.js';
import type { InventoryBatch, InventoryMove, MoveResult, QueuedMove } from './inventory-batch.js';
import type { ProductCradle } from './product-services.js';

interface Submitted extends QueuedMove {
  result?: MoveResult;
}

/**
 * A popular product's row is one lock that every reservation of it needs. Moves that arrive
 * while earlier ones are committing wait and then share one transaction (group commit),
 * so a rush on the last units costs a few commits instead of one per caller queued on the lock.
 */
const LIMITS = { maxBatch: 50, maxInFlight: 2 };

/** Reserves, releases and commits inventory, batched; each caller gets its own move's answer. */
export class InventoryLedger {
  private readonly batch: InventoryBatch;
  private readonly batcher: GroupCommit<Submitted>;

  constructor(deps: Pick<ProductCradle, 'inventoryBatch'>) {
    this.batch = deps.inventoryBatch;
    // If the shared transaction fails, every move is tried alone, so one bad move fails by itself.
    this.batcher = new GroupCommit(togetherThenAlone(async (submitted) => {
      const results = await this.batch.apply(submitted);
      submitted.forEach((entry, index) => { entry.result = results[index]; });
    }), LIMITS);
  }

  /**
   * Resolves once the move has committed; a refused move (a commit of units not held) rejects with its problem.
   * @example await ledger.submit({ kind: 'release', reservationId: 'order-42' })
   */
  async submit(move: InventoryMove): Promise<ReservationOutcome> {
    // Captured now: the batch runs in whichever caller's async context started it.
    const submitted: Submitted = { move, context: currentContext() ?? { correlationId: newId() } };
    await this.batcher.submit(submitted);
    const result = submitted.result;
    if (!result) throw new Error('inventory batch committed without a result for this move');
    if (result.kind === 'refused') throw result.problem;
    return result.outcome;
  }
}
