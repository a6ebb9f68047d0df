import type { Knex } from 'knex';
import { Conflict } from '../http/problem.js';
import type { SagaFailure, SagaStatus } from './saga-definition.js';

/** A saga instance as stored. */
export interface SagaRecord {
  id: string;
  sagaType: string;
  lockKey: string | null;
  status: SagaStatus;
  step: number;
  state: Record<string, unknown>;
  awaiting: string | null;
  signals: Record<string, unknown>;
  failure: SagaFailure | null;
  attempts: number;
  lastError: string | null;
  parkedStatus: SagaStatus | null;
  wakeAt: string | null;
  deadlineAt: string | null;
  correlationId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** computed on claim: the awaited signal's deadline has passed */
  deadlinePassed?: boolean;
}

/** What a checkpoint writes; `wakeInMs: null` means nothing is due (waiting with no deadline, finished, parked). */
export interface Checkpoint {
  status: SagaStatus;
  step: number;
  state?: Record<string, unknown>;
  awaiting?: string | null;
  deadlineInMs?: number | null;
  /** a signal consumed by this checkpoint, removed from the buffer */
  consumedSignal?: string;
  failure?: SagaFailure | null;
  attempts: number;
  lastError?: string | null;
  parkedStatus?: SagaStatus | null;
  wakeInMs: number | null;
  /** keep the lease: the same worker goes on with the next step at once */
  keepLease: boolean;
  /** waiting: wake at once instead if the awaited signal (or an abort) is already buffered */
  wakeOnSignal?: boolean;
}

/** One unfinished saga per lock key at a time (the semantic lock). */
export const SagaLocked = (lockKey: string) => Conflict(`Another saga is still working on ${lockKey}`, { lockKey });

const RUNNABLE = `status IN ('RUNNING', 'WAITING', 'COMPENSATING')`;
const ms = (name: string) => `(${name} * interval '1 millisecond')`;

const toRecord = (row: Record<string, unknown>): SagaRecord => ({
  id: row.id as string,
  sagaType: row.saga_type as string,
  lockKey: row.lock_key as string | null,
  status: row.status as SagaStatus,
  step: row.step as number,
  state: row.state as Record<string, unknown>,
  awaiting: row.awaiting as string | null,
  signals: row.signals as Record<string, unknown>,
  failure: row.failure as SagaFailure | null,
  attempts: row.attempts as number,
  lastError: row.last_error as string | null,
  parkedStatus: row.parked_status as SagaStatus | null,
  wakeAt: (row.wake_at as Date | null)?.toISOString() ?? null,
  deadlineAt: (row.deadline_at as Date | null)?.toISOString() ?? null,
  correlationId: row.correlation_id as string,
  version: row.version as number,
  createdAt: (row.created_at as Date).toISOString(),
  updatedAt: (row.updated_at as Date).toISOString(),
  finishedAt: (row.finished_at as Date | null)?.toISOString() ?? null,
  ...(row.deadline_passed === undefined ? {} : { deadlinePassed: row.deadline_passed as boolean }),
});

/**
 * SQL for one module's `sagas` table. Times are the database's (`clock_timestamp()`), so
 * leases and deadlines mean the same to every worker whatever its own clock says.
 */
export class SagaStore {
  private readonly table: string;

  constructor(private readonly db: Knex, private readonly schema: string) {
    this.table = `"${schema}".sagas`;
  }

  /**
   * Inserts a new saga, already leased to `lease.owner` when given (the starting process runs
   * it at once, with no claim); a lock key another unfinished saga holds answers 409.
   * ON CONFLICT (rather than a caught error) keeps the caller's transaction usable.
   */
  async insert(
    db: Knex | Knex.Transaction,
    saga: { id: string; sagaType: string; lockKey: string | null; state: unknown; correlationId: string },
    lease?: { owner: string; ms: number },
  ): Promise<SagaRecord> {
    const { rows } = await db.raw(
      `INSERT INTO ${this.table} (id, saga_type, lock_key, status, state, correlation_id, wake_at, lease_owner, lease_until)
       VALUES (?, ?, ?, 'RUNNING', ?, ?, clock_timestamp(), ?::text, CASE WHEN ?::text IS NULL THEN NULL ELSE clock_timestamp() + ${ms('?')} END)
       ON CONFLICT (lock_key) WHERE lock_key IS NOT NULL AND status NOT IN ('COMPLETED', 'COMPENSATED') DO NOTHING RETURNING *`,
      [saga.id, saga.sagaType, saga.lockKey, JSON.stringify(saga.state), saga.correlationId, lease?.owner ?? null, lease?.owner ?? null, lease?.ms ?? 0],
    );
    if (rows.length === 0) throw SagaLocked(saga.lockKey ?? saga.id);
    return toRecord(rows[0]);
  }

  /** Takes a due saga for `leaseMs`; nothing when it is not due or another worker holds it. */
  async claim(id: string, owner: string, leaseMs: number): Promise<SagaRecord | undefined> {
    const { rows } = await this.db.raw(
      `UPDATE ${this.table} SET lease_owner = ?, lease_until = clock_timestamp() + ${ms('?')}
       WHERE id = ? AND ${RUNNABLE} AND wake_at <= clock_timestamp() AND (lease_until IS NULL OR lease_until < clock_timestamp())
       RETURNING *, (deadline_at IS NOT NULL AND deadline_at <= clock_timestamp()) AS deadline_passed`,
      [owner, leaseMs, id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async extendLease(id: string, owner: string, leaseMs: number): Promise<void> {
    await this.db.raw(`UPDATE ${this.table} SET lease_until = clock_timestamp() + ${ms('?')} WHERE id = ? AND lease_owner = ?`, [leaseMs, id, owner]);
  }

  /**
   * Writes progress, only while `owner` still holds the lease: a worker that lost it (it
   * stalled past the lease and another took over) fails here and its transaction rolls back.
   * A wake time is brought forward when the awaited signal is already buffered.
   */
  async checkpoint(trx: Knex.Transaction, id: string, owner: string, next: Checkpoint): Promise<SagaRecord | undefined> {
    const sets = ['status = ?', 'step = ?', 'attempts = ?', 'version = version + 1', 'updated_at = clock_timestamp()'];
    const values: Knex.Value[] = [next.status, next.step, next.attempts];
    if (next.state !== undefined) { sets.push('state = ?'); values.push(JSON.stringify(next.state)); }
    if (next.awaiting !== undefined) { sets.push('awaiting = ?'); values.push(next.awaiting); }
    if (next.failure !== undefined) { sets.push('failure = ?'); values.push(next.failure === null ? null : JSON.stringify(next.failure)); }
    if (next.lastError !== undefined) { sets.push('last_error = ?'); values.push(next.lastError); }
    if (next.parkedStatus !== undefined) { sets.push('parked_status = ?'); values.push(next.parkedStatus); }
    if (next.consumedSignal !== undefined) { sets.push('signals = signals - ?::text'); values.push(next.consumedSignal); }
    if (next.deadlineInMs !== undefined) {
      sets.push(next.deadlineInMs === null ? 'deadline_at = NULL' : `deadline_at = clock_timestamp() + ${ms('?')}`);
      if (next.deadlineInMs !== null) values.push(next.deadlineInMs);
    }
    const finished = next.status === 'COMPLETED' || next.status === 'COMPENSATED';
    if (finished) sets.push('finished_at = clock_timestamp()');
    if (next.wakeInMs === null) sets.push('wake_at = NULL');
    else if (!next.wakeOnSignal) {
      sets.push(`wake_at = clock_timestamp() + ${ms('?')}`);
      values.push(next.wakeInMs);
    } else {
      // Checked against the signals as stored now, not as the worker read them.
      const awaiting = next.awaiting === undefined ? 'awaiting' : '?::text';
      sets.push(`wake_at = CASE WHEN jsonb_exists(signals, '__abort') OR jsonb_exists(signals, ${awaiting}) THEN clock_timestamp() ELSE clock_timestamp() + ${ms('?')} END`);
      if (next.awaiting !== undefined) values.push(next.awaiting);
      values.push(next.wakeInMs);
    }
    if (!next.keepLease) sets.push('lease_owner = NULL, lease_until = NULL');
    const { rows } = await trx.raw(
      `UPDATE ${this.table} SET ${sets.join(', ')} WHERE id = ? AND lease_owner = ?
       RETURNING *, (deadline_at IS NOT NULL AND deadline_at <= clock_timestamp()) AS deadline_passed`,
      [...values, id, owner],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Buffers a signal for the unfinished saga of a key (or id) and wakes it when it waits for
   * this signal; in the caller's transaction, so the signal exists iff the caller commits.
   */
  async signal(trx: Knex.Transaction, target: SagaTarget, name: string, payload: unknown): Promise<{ id: string; version: number; wakes: boolean } | undefined> {
    const where = 'id' in target ? 'id = ?' : 'lock_key = ? AND saga_type = ?';
    const key = 'id' in target ? [target.id] : [target.lockKey, target.sagaType];
    const wakes = name === '__abort' ? 'TRUE' : 'awaiting = ?';
    const { rows } = await trx.raw(
      `UPDATE ${this.table} SET signals = signals || jsonb_build_object(?::text, ?::jsonb), version = version + 1, updated_at = clock_timestamp(),
         wake_at = CASE WHEN ${wakes} AND status IN ('RUNNING', 'WAITING') THEN clock_timestamp() ELSE wake_at END
       WHERE ${where} AND status IN ('RUNNING', 'WAITING', 'COMPENSATING', 'NEEDS_ATTENTION')
       RETURNING id, version, (wake_at <= clock_timestamp()) AS wakes`,
      [name, JSON.stringify(payload ?? null), ...(name === '__abort' ? [] : [name]), ...key],
    );
    const row = rows[0] as { id: string; version: number; wakes: boolean | null } | undefined;
    return row ? { id: row.id, version: row.version, wakes: row.wakes === true } : undefined;
  }

  /** Sagas whose time has come and that no live worker holds: lost jobs, crashed workers. */
  async due(graceMs: number, limit: number): Promise<{ id: string; version: number; inMs: number }[]> {
    const { rows } = await this.db.raw(
      `SELECT id, version, 0 AS "inMs" FROM ${this.table}
       WHERE wake_at <= clock_timestamp() - ${ms('?')} AND ${RUNNABLE} AND (lease_until IS NULL OR lease_until < clock_timestamp())
       ORDER BY wake_at LIMIT ?`,
      [graceMs, limit],
    );
    return rows as { id: string; version: number; inMs: number }[];
  }

  async find(id: string): Promise<SagaRecord | undefined> {
    const { rows } = await this.db.raw(`SELECT * FROM ${this.table} WHERE id = ?`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async findByLock(sagaType: string, lockKey: string): Promise<SagaRecord | undefined> {
    const { rows } = await this.db.raw(`SELECT * FROM ${this.table} WHERE saga_type = ? AND lock_key = ? ORDER BY created_at DESC LIMIT 1`, [sagaType, lockKey]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(filter: { status?: SagaStatus; sagaType?: string; limit: number }): Promise<SagaRecord[]> {
    const query = this.db.withSchema(this.schema).table('sagas').orderBy('updated_at', 'desc').limit(filter.limit);
    if (filter.status) void query.where('status', filter.status);
    if (filter.sagaType) void query.where('saga_type', filter.sagaType);
    return ((await query) as Record<string, unknown>[]).map(toRecord);
  }

  /** Sends a parked saga back to what it was doing, with fresh attempts. */
  async unpark(id: string): Promise<SagaRecord | undefined> {
    const { rows } = await this.db.raw(
      `UPDATE ${this.table} SET status = parked_status, parked_status = NULL, attempts = 0, wake_at = clock_timestamp(),
         lease_owner = NULL, lease_until = NULL, version = version + 1, updated_at = clock_timestamp()
       WHERE id = ? AND status = 'NEEDS_ATTENTION' AND parked_status IS NOT NULL RETURNING *`,
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }
}

export type SagaTarget = { id: string } | { sagaType: string; lockKey: string };
