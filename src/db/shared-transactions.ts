import type { Knex } from 'knex';
import { GroupCommit, togetherThenAlone } from '../events/group-commit.js';

interface Unit {
  work: (trx: Knex.Transaction) => Promise<unknown>;
  result: unknown;
}

/**
 * Units of work that arrive while earlier ones are committing share the next transaction
 * (group commit): under load, many sagas' checkpoints cost one BEGIN/COMMIT and one log
 * flush, while a lone unit still runs at once. If any unit of a shared transaction fails,
 * the transaction rolls back and each unit runs again alone, so every unit gets its own
 * outcome and a failure never spills over. Units must touch only the database: a unit may
 * run twice (once shared, once alone), and only the committed run counts.
 * @example const checkpoint = await transactions.run((trx) => store.checkpoint(trx, …))
 */
export class SharedTransactions {
  private readonly group: GroupCommit<Unit>;

  constructor(db: Knex, limits: { maxBatch: number; maxInFlight: number }) {
    this.group = new GroupCommit(togetherThenAlone((units) => db.transaction(async (trx) => {
      for (const unit of units) unit.result = await unit.work(trx);
    })), limits);
  }

  async run<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    const unit: Unit = { work, result: undefined };
    await this.group.submit(unit);
    return unit.result as T;
  }
}
