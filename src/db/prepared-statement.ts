import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/** `SELECT *`, `RETURNING t.*`: a result whose columns a migration can change under a cached plan. */
const STAR_RESULT = /\b(?:SELECT|RETURNING)\s+(?:DISTINCT\s+)?(?:"?\w+"?\.)?\*/i;

const LABEL = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export interface StatementResult<Row> {
  rows: Row[];
  rowCount: number | null;
}

/**
 * A statement the system runs again and again with the same text, sent as a named prepared
 * statement: each connection parses and plans it once instead of on every run. For the
 * data-modifying CTEs of the order flow, planning cost as much as running them; prepared,
 * PostgreSQL's CPU per order fell by about a third (`npm run bench:order-statements`).
 *
 * Two rules, checked here where they can be: the text never changes between runs (what
 * varies goes in the bindings; the name ends in a hash of the text, so two texts never
 * share a name), and the result names its columns. A cached plan whose result columns change, as
 * they would for `RETURNING *` once a migration adds a column under a running release, is
 * an error in PostgreSQL rather than a new plan. A pooler in front of PostgreSQL must keep
 * prepared statements per client (PgBouncer 1.21+ with `max_prepared_statements`).
 * @example const byId = new PreparedStatement('product-by-id', 'SELECT id, name FROM products WHERE id = ?'); await byId.run(db, [id])
 */
export class PreparedStatement<Row = Record<string, unknown>> {
  /** what PostgreSQL knows it by, and what a trace's span calls it: `<label>.<hash of the text>` */
  readonly name: string;

  /** `label`: what the statement does, in a few lowercase words (`saga-checkpoint`). */
  constructor(label: string, readonly sql: string) {
    if (!LABEL.test(label) || label.length > 40) throw new Error(`a prepared statement's label is lowercase words joined by '-', at most 40 characters: ${label}`);
    if (STAR_RESULT.test(sql)) throw new Error(`a prepared statement names its result columns, not *: ${sql.slice(0, 120)}`);
    this.name = `${label}.${createHash('sha1').update(sql).digest('base64url').slice(0, 12)}`;
  }

  /** Runs it on a pool or in a transaction; `?` placeholders as in `knex.raw`. */
  async run(db: Knex | Knex.Transaction, bindings: readonly Knex.RawBinding[] = []): Promise<StatementResult<Row>> {
    return (await db.raw(this.sql, bindings as Knex.RawBinding[]).options({ name: this.name })) as StatementResult<Row>;
  }
}
