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

  get(orderId: string): Snapshot | undefined {
    return this.known.get(orderId);
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
