import type { Knex } from 'knex';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { currentContext } from '../../src/observability/request-context.js';
import { decide, type OrderCommand } from './domain/order-decider.js';
import { evolve, fold, initialOrder, type Order, type OrderEvent, type PlacedOrder } from './domain/order.js';
import { OrderNotFound } from './domain/order-problems.js';
import { OrderSnapshots, type Snapshot } from './order-snapshots.js';
import { publicationOf } from './order-publications.js';
import { StreamAppend, type Append, type IdempotencyClaim } from './stream-append.js';

/** Another writer appended to the stream first; the caller retries from a fresh read. */
export class StreamConflict extends Error {
  override readonly name = 'StreamConflict';
}

interface EventRow {
  version: number;
  event_type: OrderEvent['type'];
  data: OrderEvent['data'];
}

type PlaceOrder = Extract<OrderCommand, { type: 'PlaceOrder' }>;

export interface ExecuteOptions {
  /**
   * Other events the same decision raises (PaymentRequested with the status change), made only
   * when the command recorded something, and written in the same statement as its events.
   */
  alsoPublish?: () => EventEnvelope[];
}

/**
 * The order's event stream with optimistic concurrency: a command is decided on the stream
 * as read, and its events are appended at the next versions, which only one writer can
 * take. The read model and the public events commit with them, in the same statement (see
 * StreamAppend). A saga step usually decides on the state this process appended last
 * (OrderSnapshots) instead of reading the stream again; the append itself checks that the
 * stream is still at that version, and reads it afresh when it is not.
 */
export class OrderStream {
  private readonly outbox: OutboxWriter;
  private readonly appendStatement: StreamAppend;
  private readonly snapshots = new OrderSnapshots();

  constructor(deps: { outbox: OutboxWriter; schema: string }) {
    this.outbox = deps.outbox;
    this.appendStatement = new StreamAppend(deps.schema, deps.outbox);
  }

  async load(db: Knex | Knex.Transaction, orderId: string): Promise<{ order: Order; version: number }> {
    const rows = (await db('order_events').select('version', 'event_type', 'data').where({ order_id: orderId }).orderBy('version')) as EventRow[];
    const events = rows.map((row) => ({ type: row.event_type, data: row.data }) as OrderEvent);
    return { order: fold(events), version: rows.length };
  }

  /** Decides `command` on the current stream and appends what it records; nothing when it had its effect already. */
  async execute(trx: Knex.Transaction, orderId: string, command: OrderCommand, options: ExecuteOptions = {}): Promise<{ order: PlacedOrder; recorded: OrderEvent[] }> {
    const known = this.snapshots.get(orderId, trx);
    const decided = known ? await this.fromSnapshot(trx, orderId, command, known, options) : undefined;
    if (decided) return decided;
    const { order, version } = await this.load(trx, orderId);
    const recorded = decide(command, order);
    const after = recorded.length === 0 ? order : await this.append(trx, orderId, order, version, recorded, options);
    if (!after) throw new StreamConflict(`order ${orderId} moved past version ${version}`);
    if (after.status === 'NONE') throw OrderNotFound();
    return { order: after, recorded };
  }

  /**
   * Starts the stream of a new order under its Idempotency-Key, in one statement: undefined,
   * with nothing written, when the key was claimed already. Nothing to read first: the order
   * id was made for this very request, so its stream is empty; were it not, the append's
   * version check refuses it.
   */
  async place(trx: Knex.Transaction, command: PlaceOrder, claim: IdempotencyClaim): Promise<PlacedOrder | undefined> {
    const { append, after } = this.drafted(command.orderId, initialOrder, 0, decide(command, initialOrder), {});
    const { claimed, whole } = await this.appendStatement.runClaiming(trx, append, claim);
    if (!claimed) return undefined;
    if (!whole) throw new StreamConflict(`order ${command.orderId} exists already`);
    this.snapshots.appended(trx, command.orderId, { order: after, version: append.expectedVersion + append.events.length });
    return after as PlacedOrder;
  }

  /**
   * The decision on the remembered state, when its one new event went in (the stream was still
   * at that version). Undefined, with nothing written, when the stream must be read instead:
   * the snapshot was out of date, or it would record nothing or refuse the command (answers
   * only the stream as it is may give).
   */
  private async fromSnapshot(trx: Knex.Transaction, orderId: string, command: OrderCommand, known: Snapshot, options: ExecuteOptions): Promise<{ order: PlacedOrder; recorded: OrderEvent[] } | undefined> {
    let recorded: OrderEvent[];
    try {
      recorded = decide(command, known.order);
    } catch {
      return undefined;
    }
    // One event either goes in or leaves nothing behind; of several, some could stay half-written.
    if (recorded.length !== 1) return undefined;
    const after = await this.append(trx, orderId, known.order, known.version, recorded, options);
    return after && after.status !== 'NONE' ? { order: after, recorded } : undefined;
  }

  /** Appends `events` at the versions after `expectedVersion`; undefined when the stream was not at that version. */
  private async append(trx: Knex.Transaction, orderId: string, before: Order, expectedVersion: number, events: readonly OrderEvent[], options: ExecuteOptions): Promise<Order | undefined> {
    const { append, after } = this.drafted(orderId, before, expectedVersion, events, options);
    const whole = await this.appendStatement.run(trx, append);
    if (!whole) {
      // Several events may have gone in partly: only a rollback undoes that.
      if (events.length > 1) throw new StreamConflict(`order ${orderId} moved past version ${expectedVersion}`);
      return undefined;
    }
    // Remembered once committed; a rollback leaves the stream where it was, so the snapshot goes.
    this.snapshots.appended(trx, orderId, { order: after, version: expectedVersion + events.length });
    return after;
  }

  /** What appending `events` writes (the events, the order as they leave it, its publications), and that order. */
  private drafted(orderId: string, before: Order, expectedVersion: number, events: readonly OrderEvent[], options: ExecuteOptions): { append: Append; after: Order } {
    let state = before;
    let version = expectedVersion;
    const published: EventEnvelope[] = [];
    for (const event of events) {
      const previous = state;
      state = evolve(state, event);
      version += 1;
      const publication = publicationOf(this.outbox, previous, state, event, version);
      if (publication) published.push(publication);
    }
    if (state.status === 'NONE') throw new Error(`order ${orderId}: events that leave no order`);
    published.push(...(options.alsoPublish?.() ?? []));
    const correlationId = currentContext()?.correlationId ?? orderId;
    return { append: { orderId, correlationId, expectedVersion, events, order: state, published }, after: state };
  }
}
