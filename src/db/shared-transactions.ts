import type { Knex } from 'knex';
import { GroupCommit, togetherThenAlone } from '../events/group-commit.js';

/**
 * Units of work that arrive while earlier ones are committing share the next transaction
 * (group commit): under load, many units cost one BEGIN/COMMIT and one log flush, and
 * `apply` may write what they have in common in one statement, while a lone unit still
 * runs at once. If a shared transaction fails, it rolls back and each unit is applied again
 * alone, so every unit gets its own outcome and a failure never spills over. Units must
 * touch only the database: a unit may be applied twice (once shared, once alone), and only
 * the committed run counts. `apply` hands each unit its outcome by filling it in.
 * @example const transactions = new SharedTransactions(db, (trx, units) => applyAll(trx, units), { maxBatch: 50, maxInFlight: 2 })
 */
export class SharedTransactions<Unit> {
  private readonly group: GroupCommit<Unit>;

  constructor(db: Knex, apply: (trx: Knex.Transaction, units: readonly Unit[]) => Promise<void>, limits: { maxBatch: number; maxInFlight: number }) {
    this.group = new GroupCommit(togetherThenAlone((units) => db.transaction((trx) => apply(trx, units))), limits);
  }

  /** Resolves once the unit has committed; rejects with the unit's own failure. */
  run(unit: Unit): Promise<void> {
    return this.group.submit(unit);
  }
}
