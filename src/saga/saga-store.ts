import type { Knex } from 'knex';
import { PreparedStatement } from '../db/prepared-statement.js';
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
  /** the trace of the request that started the saga; its steps' spans continue it */
  traceparent: string | null;
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

/** A saga to insert; `leased`: the starting process runs it at once. */
export interface NewSaga {
  id: string;
  sagaType: string;
  lockKey: string | null;
  state: unknown;
  correlationId: string;
  traceparent: string | null;
  leased: boolean;
}

const RUNNABLE = `status IN ('RUNNING', 'WAITING', 'COMPENSATING')`;
const DEADLINE_PASSED = '(deadline_at IS NOT NULL AND deadline_at <= clock_timestamp()) AS deadline_passed';
const ms = (name: string) => `(${name} * interval '1 millisecond')`;
/** What `toRecord` reads, named: a prepared statement never returns `*`. */
const sagaColumns = (alias: string) =>
  ['id', 'saga_type', 'lock_key', 'status', 'step', 'state', 'awaiting', 'signals', 'failure', 'attempts', 'last_error', 'parked_status',
    'wake_at', 'deadline_at', 'correlation_id', 'traceparent', 'version', 'created_at', 'updated_at', 'finished_at'].map((column) => `${alias}.${column}`).join(', ');

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
  traceparent: (row.traceparent as string | null) ?? null,
  version: row.version as number,
  createdAt: (row.created_at as Date).toISOString(),
  updatedAt: (row.updated_at as Date).toISOString(),
  finishedAt: (row.finished_at as Date | null)?.toISOString() ?? null,
  ...(row.deadline_passed === undefined ? {} : { deadlinePassed: row.deadline_passed as boolean }),
});

const byId = (rows: Record<string, unknown>[]) => new Map(rows.map((row) => [row.id as string, toRecord(row)]));

/**
 * One UPDATE for the checkpoints of many sagas, given as a JSON array of `{ id, ...Checkpoint }`
 * (one parameter, so the same text serves every batch size). A field left out keeps its
 * column's value; JSON null clears it.
 */
function checkpointSql(table: string): string {
  const kept = (field: keyof Checkpoint, column: string, value = `next->>'${field}'`) => `CASE WHEN jsonb_exists(next, '${field}') THEN ${value} ELSE saga.${column} END`;
  const awaiting = kept('awaiting', 'awaiting');
  return `UPDATE ${table} AS saga SET
      status = next->>'status', step = (next->>'step')::int, attempts = (next->>'attempts')::int,
      state = ${kept('state', 'state', `next->'state'`)},
      awaiting = ${awaiting},
      failure = ${kept('failure', 'failure', `nullif(next->'failure', 'null'::jsonb)`)},
      last_error = ${kept('lastError', 'last_error')},
      parked_status = ${kept('parkedStatus', 'parked_status')},
      signals = ${kept('consumedSignal', 'signals', `saga.signals - (next->>'consumedSignal')`)},
      deadline_at = ${kept('deadlineInMs', 'deadline_at', `clock_timestamp() + ${ms(`(next->>'deadlineInMs')::float8`)}`)},
      wake_at = CASE WHEN next->>'wakeInMs' IS NULL THEN NULL
        WHEN (next->>'wakeOnSignal')::boolean AND (jsonb_exists(saga.signals, '__abort') OR jsonb_exists(saga.signals, ${awaiting})) THEN clock_timestamp()
        ELSE clock_timestamp() + ${ms(`(next->>'wakeInMs')::float8`)} END,
      finished_at = CASE WHEN next->>'status' IN ('COMPLETED', 'COMPENSATED') THEN clock_timestamp() ELSE saga.finished_at END,
      lease_owner = CASE WHEN (next->>'keepLease')::boolean THEN saga.lease_owner END,
      lease_until = CASE WHEN (next->>'keepLease')::boolean THEN saga.lease_until END,
      version = saga.version + 1, updated_at = clock_timestamp()
    FROM jsonb_array_elements(?::jsonb) AS batch(next)
    WHERE saga.id = (next->>'id')::uuid AND saga.lease_owner = ?
    RETURNING ${sagaColumns('saga')}, ${DEADLINE_PASSED}`;
}

/**
 * SQL for one module's `sagas` table. Times are the database's (`clock_timestamp()`), so
 * leases and deadlines mean the same to every worker whatever its own clock says.
 */
export class SagaStore {
  private readonly table: string;
  // The statements every saga step runs, prepared (parsed and planned once per connection).
  private readonly insertStatement: PreparedStatement;
  private readonly claimStatement: PreparedStatement;
  private readonly checkpointStatement: PreparedStatement;
  private readonly signalStatements = new Map<string, PreparedStatement>();
  /** the sweep's poll, run all day long by every process */
  private readonly dueStatement: PreparedStatement<{ id: string; version: number; inMs: number }>;

  constructor(private readonly db: Knex, private readonly schema: string) {
    this.table = `"${schema}".sagas`;
    this.checkpointStatement = new PreparedStatement('saga-checkpoint', checkpointSql(this.table));
    this.insertStatement = new PreparedStatement('saga-insert',
      `INSERT INTO ${this.table} AS saga (id, saga_type, lock_key, status, state, correlation_id, traceparent, wake_at, lease_owner, lease_until)
       SELECT id, saga_type, lock_key, 'RUNNING', state, correlation_id, traceparent, clock_timestamp(), lease_owner, clock_timestamp() + ${ms('lease_ms')}
       FROM jsonb_to_recordset(?::jsonb) AS incoming(id uuid, saga_type text, lock_key text, state jsonb, correlation_id text, traceparent text, lease_owner text, lease_ms float8)
       ON CONFLICT (lock_key) WHERE lock_key IS NOT NULL AND status NOT IN ('COMPLETED', 'COMPENSATED') DO NOTHING RETURNING ${sagaColumns('saga')}`,
    );
    this.dueStatement = new PreparedStatement('saga-due', `SELECT id, version, 0 AS "inMs" FROM ${this.table}
       WHERE wake_at <= clock_timestamp() - ${ms('?')} AND ${RUNNABLE} AND (lease_until IS NULL OR lease_until < clock_timestamp())
       ORDER BY wake_at LIMIT ?`);
    this.claimStatement = new PreparedStatement('saga-claim',
      `UPDATE ${this.table} AS saga SET lease_owner = ?, lease_until = clock_timestamp() + ${ms('?')}
       WHERE id = ? AND ${RUNNABLE} AND wake_at <= clock_timestamp() AND (lease_until IS NULL OR lease_until < clock_timestamp())
       RETURNING ${sagaColumns('saga')}, ${DEADLINE_PASSED}`,
    );
  }

  /**
   * Inserts new sagas in one statement, each already leased to `lease.owner` when its
   * `leased` is set (the starting process runs it at once, with no claim). A saga whose lock
   * key another unfinished saga holds is left out of the answer: its start answers 409.
   * ON CONFLICT (rather than a caught error) keeps the caller's transaction usable and the
   * other sagas of the statement inserted.
   */
  async insert(db: Knex | Knex.Transaction, sagas: readonly NewSaga[], lease: { owner: string; ms: number }): Promise<Map<string, SagaRecord>> {
    const rows = sagas.map((saga) => ({
      id: saga.id, saga_type: saga.sagaType, lock_key: saga.lockKey, state: saga.state, correlation_id: saga.correlationId, traceparent: saga.traceparent,
      lease_owner: saga.leased ? lease.owner : null, lease_ms: saga.leased ? lease.ms : null,
    }));
    const { rows: inserted } = await this.insertStatement.run(db, [JSON.stringify(rows)]);
    return byId(inserted);
  }

  /** Takes a due saga for `leaseMs`; nothing when it is not due or another worker holds it. */
  async claim(id: string, owner: string, leaseMs: number): Promise<SagaRecord | undefined> {
    const { rows } = await this.claimStatement.run(this.db, [owner, leaseMs, id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Renews the leases `owner` still holds on these sagas (its slow steps keep their sagas).
   * A row a checkpoint is writing right now is skipped, not waited for: renewing many rows
   * in one statement must not deadlock with a shared checkpoint transaction; the next beat
   * renews it.
   */
  async extendLeases(ids: readonly string[], owner: string, leaseMs: number): Promise<void> {
    await this.db.raw(
      `UPDATE ${this.table} SET lease_until = clock_timestamp() + ${ms('?')}
       WHERE id IN (SELECT id FROM ${this.table} WHERE id = ANY(?::uuid[]) AND lease_owner = ? FOR UPDATE SKIP LOCKED)`,
      [leaseMs, [...ids], owner],
    );
  }

  /**
   * Writes the progress of several sagas in one statement, each only while `owner` still
   * holds its lease: a saga missing from the answer belongs to another worker now (this one
   * stalled past the lease), and its transaction must roll back. A wake time is brought
   * forward when the awaited signal (or an abort) is already buffered, checked against the
   * signals as stored now, not as the worker read them.
   */
  async checkpoint(trx: Knex.Transaction, owner: string, writes: readonly { id: string; next: Checkpoint }[]): Promise<Map<string, SagaRecord>> {
    const { rows } = await this.checkpointStatement.run(trx, [JSON.stringify(writes.map(({ id, next }) => ({ id, ...next }))), owner]);
    return byId(rows);
  }

  /**
   * Buffers a signal for the unfinished saga of a key (or id) and wakes it when it waits for
   * this signal; in the caller's transaction, so the signal exists iff the caller commits.
   * With `lease`, a saga that is due once signalled and that nobody holds is also leased to
   * `lease.owner` in the same statement (what `claim` would do next, without its round trip)
   * and answered as `claimed`: the caller runs it once its transaction commits.
   */
  async signal(
    trx: Knex.Transaction, target: SagaTarget, name: string, payload: unknown, lease?: { owner: string; ms: number },
  ): Promise<{ id: string; version: number; wakes: boolean; claimed?: SagaRecord } | undefined> {
    const where = 'id' in target ? 'id = ?' : 'lock_key = ? AND saga_type = ?';
    const key = 'id' in target ? [target.id] : [target.lockKey, target.sagaType];
    const wakes = name === '__abort' ? 'TRUE' : 'awaiting = ?';
    // The row is locked first (FOR UPDATE), so what decides waking and leasing is the row as it
    // is now, even when another transaction changed it meanwhile.
    const statementKey = `${where} ${wakes}`;
    let statement = this.signalStatements.get(statementKey);
    if (!statement) {
      statement = new PreparedStatement('saga-signal', `UPDATE ${this.table} AS saga SET signals = saga.signals || jsonb_build_object(?::text, ?::jsonb), version = saga.version + 1, updated_at = clock_timestamp(),
         wake_at = CASE WHEN found.wakes THEN clock_timestamp() ELSE saga.wake_at END,
         lease_owner = CASE WHEN found.takes THEN ?::text ELSE saga.lease_owner END,
         lease_until = CASE WHEN found.takes THEN clock_timestamp() + ${ms('?::float8')} ELSE saga.lease_until END
       FROM (
         SELECT id, wakes, ?::boolean AND ${RUNNABLE} AND (wakes OR wake_at <= clock_timestamp()) AND (lease_until IS NULL OR lease_until < clock_timestamp()) AS takes
         FROM (
           SELECT id, status, wake_at, lease_until, (${wakes} AND status IN ('RUNNING', 'WAITING')) AS wakes FROM ${this.table}
           WHERE ${where} AND status IN ('RUNNING', 'WAITING', 'COMPENSATING', 'NEEDS_ATTENTION') FOR UPDATE
         ) AS locked
       ) AS found
       WHERE saga.id = found.id
       RETURNING ${sagaColumns('saga')}, ${DEADLINE_PASSED}, found.takes, (saga.wake_at <= clock_timestamp()) AS due`);
      this.signalStatements.set(statementKey, statement);
    }
    const { rows } = await statement.run(trx, [name, JSON.stringify(payload ?? null), lease?.owner ?? null, lease?.ms ?? 0, lease !== undefined, ...(name === '__abort' ? [] : [name]), ...key]);
    const row = rows[0] as (Record<string, unknown> & { id: string; version: number; takes: boolean; due: boolean | null }) | undefined;
    if (!row) return undefined;
    return { id: row.id, version: row.version, wakes: row.due === true, ...(row.takes ? { claimed: toRecord(row) } : {}) };
  }

  /** Sagas whose time has come and that no live worker holds: lost jobs, crashed workers. */
  async due(graceMs: number, limit: number): Promise<{ id: string; version: number; inMs: number }[]> {
    const { rows } = await this.dueStatement.run(this.db, [graceMs, limit]);
    return rows;
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
