import type { Knex } from 'knex';
import type { Order } from './domain/order.js';

/** Orders in flight this process remembers at most; the one appended to longest ago goes first. */
const REMEMBERED = 10_000;

export interface Snapshot {
  order: Order;
  version: number;
}

/**
 * The last state this process appended for each order in flight, so the next saga step can
 * decide without reading the stream again (a round trip per step). Only ever a hint: an
 * append made from a snapshot goes in only when the stream is still at its version (see
 * StreamAppend), and a snapshot that is out of date (another process wrote, a transaction
 * rolled back) is read afresh from the stream instead.
 */
export class OrderSnapshots {
  private readonly known = new Map<string, Snapshot>();
  /** appended in a transaction still open: the next command in the same transaction decides on it */
  private readonly uncommitted = new WeakMap<Knex.Transaction, Map<string, Snapshot>>();

  /** What `trx` itself appended last, or else what the last commit left. */
  get(orderId: string, trx?: Knex.Transaction): Snapshot | undefined {
    return (trx && this.uncommitted.get(trx)?.get(orderId)) ?? this.known.get(orderId);
  }

  /** An append `trx` made: seen by that transaction at once, by everyone once it commits (forgotten if it rolls back). */
  appended(trx: Knex.Transaction, orderId: string, snapshot: Snapshot): void {
    let pending = this.uncommitted.get(trx);
    if (!pending) {
      pending = new Map();
      this.uncommitted.set(trx, pending);
    }
    pending.set(orderId, snapshot);
    trx.executionPromise.then(() => this.remember(orderId, snapshot), () => this.forget(orderId)).catch(() => undefined);
  }

  /** Kept while the order can still move; a settled order is read from the stream when (rarely) asked again. */
  remember(orderId: string, snapshot: Snapshot): void {
    this.known.delete(orderId);
    if (snapshot.order.status === 'CONFIRMED' || snapshot.order.status === 'CANCELLED') return;
    if (this.known.size >= REMEMBERED) this.known.delete(this.known.keys().next().value!);
    this.known.set(orderId, snapshot);
  }

  forget(orderId: string): void {
    this.known.delete(orderId);
  }
}
