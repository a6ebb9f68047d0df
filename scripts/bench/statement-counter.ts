import type { Knex } from 'knex';

/** One statement text of one module, and how often it ran. */
export interface StatementCount {
  module: string;
  statement: string;
  count: number;
}

interface QueryEvent {
  sql: string;
  __knexQueryUid?: string;
}

/**
 * Polls that found nothing are the price of idling, not of an order: a sequential run (one
 * order at a time) pays them after every order, a loaded server almost never. They are counted
 * apart, by their text, when their answer had no rows.
 */
const POLLS = [/FOR UPDATE SKIP LOCKED\) claim/, /FROM "\w+"\.sagas\s+WHERE wake_at <=/, /min\(next_attempt_at\)/, /"next_attempt_at" <= now\(\)/];

/**
 * The same statement with another number of rows or list items is the same statement:
 * placeholders become `?`, and runs of them (multi-row VALUES, IN lists) one `…`.
 * @example normalise('insert into "x" ("a", "b") values ($1, $2), ($3, $4)') // → 'insert into "x" ("a", "b") values (…)'
 */
export function normalise(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\$\d+(::\w+(\[\])?)?/g, '?')
    .replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)')
    .replace(/\?(, \?)+/g, '…')
    .trim();
}

/**
 * Counts what each module's knex sends, by module and normalised text, through knex's own
 * `query` events (transactions' BEGIN and COMMIT included), so a count is the number of
 * round trips to PostgreSQL whatever built the statement.
 * @example const counter = new StatementCounter(); counter.watch('order', db); … counter.counts()
 */
export class StatementCounter {
  private readonly byKey = new Map<string, StatementCount>();
  private readonly polls = new Map<string, { module: string; statement: string }>();

  watch(module: string, db: Knex): void {
    db.on('query', (query: QueryEvent) => {
      const statement = normalise(query.sql);
      if (query.__knexQueryUid && POLLS.some((poll) => poll.test(statement))) this.polls.set(query.__knexQueryUid, { module, statement });
      else this.add(module, statement);
    });
    // A poll is sorted once its answer says whether it found anything.
    db.on('query-response', (response: unknown, query: QueryEvent) => this.settlePoll(query, rowsOf(response)));
    db.on('query-error', (_error: unknown, query: QueryEvent) => this.settlePoll(query, 1));
  }

  reset(): void {
    this.byKey.clear();
  }

  counts(): StatementCount[] {
    return [...this.byKey.values()].sort((a, b) => a.module.localeCompare(b.module) || b.count - a.count || a.statement.localeCompare(b.statement));
  }

  private settlePoll(query: QueryEvent, rows: number): void {
    const poll = query.__knexQueryUid ? this.polls.get(query.__knexQueryUid) : undefined;
    if (!poll) return;
    this.polls.delete(query.__knexQueryUid!);
    this.add(poll.module, rows === 0 ? `[empty poll] ${poll.statement}` : poll.statement);
  }

  private add(module: string, statement: string): void {
    const key = `${module}\u0000${statement}`;
    const entry = this.byKey.get(key) ?? { module, statement, count: 0 };
    entry.count += 1;
    this.byKey.set(key, entry);
  }
}

function rowsOf(response: unknown): number {
  if (Array.isArray(response)) return response.length;
  if (response && typeof response === 'object') {
    const { rows, rowCount } = response as { rows?: unknown[]; rowCount?: number | null };
    return rows?.length ?? rowCount ?? 1;
  }
  return response === undefined || response === null ? 0 : 1;
}
