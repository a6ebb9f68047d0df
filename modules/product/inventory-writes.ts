import type { Knex } from 'knex';
import { PreparedStatement } from '../../src/db/prepared-statement.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import type { ReservationLines, ReservationStatus } from './domain/reservation-decisions.js';
import type { MovedStock } from './repository.js';

interface ProductWrite {
  /** the version read under the row lock: the row must still have it */
  from: number;
  to: MovedStock;
}

/**
 * What one inventory batch changes, gathered while its moves are decided (on rows it has
 * locked) and then written in ONE statement (data-modifying CTEs): new reservations and their
 * lines, status changes, each product's final counters and version, and the InventoryChanged
 * events, in the order the moves made them. A batch of any size costs one round trip for its
 * writes instead of two or three per move and product.
 */
export class InventoryWrites {
  private readonly created = new Map<string, { status: ReservationStatus; lines: ReservationLines }>();
  private readonly statuses = new Map<string, ReservationStatus>();
  private readonly products = new Map<string, ProductWrite>();
  private readonly events: EventEnvelope[] = [];

  constructor(private readonly outbox: OutboxWriter) {}

  createReservation(id: string, status: ReservationStatus, lines: ReservationLines): void {
    this.created.set(id, { status, lines });
  }

  setStatus(id: string, status: ReservationStatus): void {
    // A reservation made in this very batch is inserted with its last status.
    const created = this.created.get(id);
    if (created) created.status = status;
    else this.statuses.set(id, status);
  }

  /** The product's counters after a move; `from` is the version its row had when locked. */
  setStock(productId: string, from: number, to: MovedStock): void {
    this.products.set(productId, { from: this.products.get(productId)?.from ?? from, to });
  }

  publish(event: EventEnvelope): void {
    this.events.push(event);
  }

  /** Writes everything gathered; throws (so the batch rolls back) if a product row moved on under its lock. */
  async flush(trx: Knex.Transaction): Promise<void> {
    if (this.created.size === 0 && this.statuses.size === 0 && this.products.size === 0 && this.events.length === 0) return;
    const created = [...this.created].map(([id, { status }]) => ({ id, status }));
    const lines = [...this.created].flatMap(([id, { lines: held }]) => [...held].map(([productId, quantity]) => ({ reservation_id: id, product_id: productId, quantity })));
    const statuses = [...this.statuses].map(([id, status]) => ({ id, status }));
    const stock = [...this.products].map(([id, { from, to }]) => ({
      id, from_version: from, version: to.version, on_hand: to.stock.onHand, reserved: to.stock.reserved, sold: to.stock.sold,
    }));
    const { rows } = await flushStatement(this.outbox).run(trx, [
      JSON.stringify(created), JSON.stringify(lines), JSON.stringify(statuses), JSON.stringify(stock), this.outbox.rowsParameter(this.events),
    ]);
    const written = rows[0]?.products ?? 0;
    // Unreachable while the row locks are held; if it ever happens, the whole batch rolls back.
    if (written !== stock.length) throw new Error(`inventory of ${stock.length - written} product(s) changed under its lock`);
  }
}

const flushStatements = new WeakMap<OutboxWriter, PreparedStatement<{ products: number }>>();

/** The flush statement of a module's batches: one text per outbox, prepared once per connection. */
function flushStatement(outbox: OutboxWriter): PreparedStatement<{ products: number }> {
  let statement = flushStatements.get(outbox);
  if (!statement) {
    statement = new PreparedStatement('inventory-flush', `WITH created AS (
      INSERT INTO reservations (id, status) SELECT r.id, r.status FROM jsonb_to_recordset(?::jsonb) AS r(id text, status text)
    ), held AS (
      INSERT INTO reservation_lines (reservation_id, product_id, quantity)
      SELECT l.reservation_id, l.product_id, l.quantity FROM jsonb_to_recordset(?::jsonb) AS l(reservation_id text, product_id uuid, quantity int)
    ), settled AS (
      UPDATE reservations AS r SET status = s.status, updated_at = now()
      FROM jsonb_to_recordset(?::jsonb) AS s(id text, status text) WHERE r.id = s.id
    ), stock AS (
      UPDATE products AS p SET on_hand = s.on_hand, reserved = s.reserved, sold = s.sold, version = s.version, updated_at = now()
      FROM jsonb_to_recordset(?::jsonb) AS s(id uuid, from_version int, version int, on_hand int, reserved int, sold int)
      WHERE p.id = s.id AND p.version = s.from_version
      RETURNING p.id
    ), published AS (
      ${outbox.insertSql()}
    )
    SELECT count(*)::int AS products FROM stock`);
    flushStatements.set(outbox, statement);
  }
  return statement;
}
