import type { Knex } from 'knex';
import { GroupCommit, togetherThenAlone } from '../events/group-commit.js';
import { SagaLocked, type NewSaga, type SagaRecord, type SagaStore } from './saga-store.js';

interface Start {
  saga: NewSaga;
  /** filled in once committed; absent when the lock key was taken */
  inserted?: SagaRecord;
}

/**
 * Writes the rows of new sagas. A start inside a caller's transaction inserts there, so the
 * saga exists if and only if the caller commits. Starts with no transaction of their own
 * that arrive while an insert is under way go into the next one together: one statement
 * and one commit for all of them (a lock key taken by another saga leaves only its own
 * saga out).
 */
export class SagaStarts {
  private readonly group: GroupCommit<Start>;

  constructor(
    db: Knex,
    private readonly store: SagaStore,
    private readonly lease: { owner: string; ms: number },
    limits: { maxBatch: number; maxInFlight: number },
  ) {
    this.group = new GroupCommit(togetherThenAlone(async (starts) => {
      const inserted = await store.insert(db, starts.map((start) => start.saga), lease);
      for (const start of starts) start.inserted = inserted.get(start.saga.id);
    }), limits);
  }

  /** The inserted saga; a 409 problem when another unfinished saga holds its lock key. */
  async insert(trx: Knex.Transaction | undefined, saga: NewSaga): Promise<SagaRecord> {
    const inserted = trx ? (await this.store.insert(trx, [saga], this.lease)).get(saga.id) : await this.alongsideOthers(saga);
    if (!inserted) throw SagaLocked(saga.lockKey ?? saga.id);
    return inserted;
  }

  private async alongsideOthers(saga: NewSaga): Promise<SagaRecord | undefined> {
    const start: Start = { saga };
    await this.group.submit(start);
    return start.inserted;
  }
}
