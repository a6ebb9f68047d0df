import type { Knex } from 'knex';
import { SharedTransactions } from '../db/shared-transactions.js';
import { callerContext } from '../events/group-commit.js';
import type { Checkpoint, SagaRecord, SagaStore } from './saga-store.js';

/** The checkpoint of a worker that lost its saga's lease (it stalled, another took over) is refused. */
export class LeaseLost extends Error {
  constructor(readonly sagaId: string) {
    super(`the lease of saga ${sagaId} is held by another worker`);
  }
}

/** A step's local effects, which decide the checkpoint that commits with them. */
export type StepEffects = (trx: Knex.Transaction) => Promise<Checkpoint>;

interface Unit {
  sagaId: string;
  effects: StepEffects;
  /** runs the effects as the saga's own worker (its correlation id and trace), whoever started the shared transaction */
  asCaller: <T>(work: () => T) => T;
  /** filled in once committed */
  next?: Checkpoint;
  written?: SagaRecord;
}

/**
 * Commits a step's local effects together with its saga's checkpoint. Steps of sagas that
 * are ready at the same moment share a transaction: their effects run in turn, then one
 * UPDATE writes every checkpoint, so under load a step costs its own statements plus a
 * share of one UPDATE, one BEGIN and one COMMIT. A checkpoint refused for a lost lease rolls
 * the shared transaction back; alone again, only that step fails (see SharedTransactions).
 */
export class SagaCheckpoints {
  private readonly transactions: SharedTransactions<Unit>;

  constructor(db: Knex, store: SagaStore, owner: string, limits: { maxBatch: number; maxInFlight: number }) {
    this.transactions = new SharedTransactions<Unit>(db, async (trx, units) => {
      for (const unit of units) unit.next = await unit.asCaller(() => unit.effects(trx));
      const written = await store.checkpoint(trx, owner, units.map((unit) => ({ id: unit.sagaId, next: unit.next! })));
      for (const unit of units) {
        unit.written = written.get(unit.sagaId);
        if (!unit.written) throw new LeaseLost(unit.sagaId);
      }
    }, limits);
  }

  /** Resolves once committed, with what was written; rejects with the effects' error or LeaseLost. */
  async commit(sagaId: string, effects: StepEffects): Promise<{ next: Checkpoint; written: SagaRecord }> {
    const unit: Unit = { sagaId, effects, asCaller: callerContext() };
    await this.transactions.run(unit);
    return { next: unit.next!, written: unit.written! };
  }
}
