import type { Logger } from '../observability/logger.js';
import type { EventEnvelope } from './envelope.js';
import { fanOut, type EventBus, type EventPublisher } from './event-bus.js';
import type { EventRouting } from './event-routing.js';

/** A consumer of this process that takes an event directly (EventConsumer). */
export interface LocalConsumer {
  deliver(event: EventEnvelope): Promise<void>;
}

export interface LocalFirstParts {
  routing: EventRouting;
  /** the queues, for consumers elsewhere and for what fails here */
  bus: EventBus;
  /** the consumers running in this process, by module */
  local: ReadonlyMap<string, LocalConsumer>;
  /** a local delivery taking longer is handed to the queue as well (the inbox keeps it to one effect) */
  timeoutMs: number;
  log: Logger;
}

/**
 * What a relay publishes through when consumers run in its own process (the monolith): an
 * event goes straight to each local consumer, in that consumer's transaction with its
 * inbox row, and only consumers in other processes get a queue job. A local delivery that
 * fails or hangs is queued instead, so retries with backoff and dead letters work as for
 * any job. The relay marks its rows published only after every delivery committed or was
 * queued: a relay that dies on the way leaves them to be published again, and the inbox
 * skips what was already applied. Per event and consumer this saves a job's Redis round
 * trips (add, fetch, complete) and the wait for a worker to fetch it.
 * @example const publisher = new LocalFirstDelivery({ routing, bus, local: new Map([['notification', consumer]]), timeoutMs: 5_000, log })
 */
export class LocalFirstDelivery implements EventPublisher {
  constructor(private readonly parts: LocalFirstParts) {}

  async publish(events: readonly EventEnvelope[]): Promise<EventEnvelope[]> {
    const { byConsumer, delivered } = fanOut(this.parts.routing, events);
    await Promise.all([...byConsumer].map(([consumer, batch]) => {
      const here = this.parts.local.get(consumer);
      return here ? this.deliverHere(consumer, here, batch) : this.parts.bus.enqueue(consumer, batch);
    }));
    return delivered;
  }

  private async deliverHere(name: string, consumer: LocalConsumer, events: readonly EventEnvelope[]): Promise<void> {
    // Per event: true once committed, the error once failed; unset while running.
    const outcomes: (true | { error: unknown })[] = [];
    const deliveries = Promise.all(events.map((event, index) => consumer.deliver(event).then(
      () => { outcomes[index] = true; },
      (error: unknown) => { outcomes[index] = { error }; },
    )));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([deliveries, new Promise<void>((resolve) => { timer = setTimeout(resolve, this.parts.timeoutMs); })]);
    clearTimeout(timer);
    const unsettled = events.filter((_, index) => outcomes[index] !== true);
    if (unsettled.length === 0) return;
    const failure = outcomes.find((outcome) => outcome !== true && outcome !== undefined);
    const reason = failure ? (failure.error instanceof Error ? failure.error.message : String(failure.error)) : `still running after ${this.parts.timeoutMs} ms`;
    this.parts.log.warn({ consumer: name, events: unsettled.length, err: reason }, 'local delivery did not succeed; queued for the worker to retry');
    // Rejects when Redis is away: then the rows stay in the outbox and the relay tries again later.
    await this.parts.bus.enqueue(name, unsettled);
  }
}
