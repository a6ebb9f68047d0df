import { createHash, randomUUID } from 'node:crypto';
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
 *
 * It runs on the connection knex lends it (the pool's, or the transaction's own) but skips
 * knex's per-call work, placeholder rewriting and its query runner, which cost the server
 * about as much CPU per run as pg itself; knex's `query` events still announce it.
 * @example const byId = new PreparedStatement('product-by-id', 'SELECT id, name FROM products WHERE id = ?'); await byId.run(db, [id])
 */
export class PreparedStatement<Row = Record<string, unknown>> {
  /** what PostgreSQL knows it by, and what a trace's span calls it: `<label>.<hash of the text>` */
  readonly name: string;
  /** the text as PostgreSQL gets it: `$1, $2…` for knex's `?` */
  private readonly text: string;
  private readonly parameters: number;

  /** `label`: what the statement does, in a few lowercase words (`saga-checkpoint`). */
  constructor(label: string, readonly sql: string) {
    if (!LABEL.test(label) || label.length > 40) throw new Error(`a prepared statement's label is lowercase words joined by '-', at most 40 characters: ${label}`);
    if (STAR_RESULT.test(sql)) throw new Error(`a prepared statement names its result columns, not *: ${sql.slice(0, 120)}`);
    this.name = `${label}.${createHash('sha1').update(sql).digest('base64url').slice(0, 12)}`;
    ({ text: this.text, parameters: this.parameters } = numberedPlaceholders(sql));
  }

  /** Runs it on a pool or in a transaction; `?` placeholders as in `knex.raw`. */
  async run(db: Knex | Knex.Transaction, bindings: readonly Knex.RawBinding[] = []): Promise<StatementResult<Row>> {
    if (bindings.length !== this.parameters) throw new Error(`${this.name} takes ${this.parameters} bindings, got ${bindings.length}`);
    for (const value of bindings) {
      if (value === undefined) throw new Error(`${this.name} was given an undefined binding`);
      if (typeof value === 'object' && value !== null && 'toSQL' in value) throw new Error(`${this.name} was given SQL as a binding: its text must not change`);
    }
    // The pool's or the transaction's own connection, as knex would use; in a transaction it is always the same one.
    const client = db.client as KnexClient;
    const connection = await client.acquireConnection();
    try {
      // Checked last thing before sending: an ended transaction's connection is back in the pool, serving someone else.
      if (db.isTransaction && (db as Knex.Transaction).isCompleted()) throw new Error(`${this.name} ran in a transaction that has ended`);
      const query = { name: this.name, text: this.text, values: bindings as unknown[] };
      // Built only for a listener (a statement counter, a debug log): most runs have none.
      const event = client.listenerCount('query') > 0 ? { method: 'raw', sql: this.text, bindings, options: { name: this.name }, __knexUid: connection.__knexUid, __knexTxId: connection.__knexTxId, __knexQueryUid: randomUUID() } : undefined;
      if (event) client.emit('query', event);
      try {
        const result = await connection.query(query);
        if (event) client.emit('query-response', result, event);
        return result as StatementResult<Row>;
      } catch (error) {
        if (event) client.emit('query-error', error, event);
        throw error;
      }
    } finally {
      await client.releaseConnection(connection);
    }
  }
}

/** What `run` needs of knex's client: its pool (or a transaction's one connection) and its query events. */
type KnexClient = Knex.Client & {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
  listenerCount(event: string): number;
  emit(event: string, ...values: unknown[]): boolean;
};

interface PgConnection {
  query(query: { name: string; text: string; values: unknown[] }): Promise<unknown>;
  __knexUid?: string;
  __knexTxId?: string;
}

/**
 * The text with knex's `?` placeholders numbered as PostgreSQL's `$1, $2…`, once, and how many
 * there are. `\?` stays a literal `?` (a jsonb operator), as in `knex.raw`; `??` (an identifier
 * binding) would make the text vary, so it is refused.
 */
function numberedPlaceholders(sql: string): { text: string; parameters: number } {
  let parameters = 0;
  const text = sql.replace(/\\?\?\??/g, (match) => {
    if (match === '\\?') return '?';
    if (match === '??') throw new Error(`a prepared statement's text cannot take identifier bindings (??): ${sql.slice(0, 120)}`);
    parameters += 1;
    return `$${parameters}`;
  });
  return { text, parameters };
}
