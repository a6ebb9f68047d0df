import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import type { EventData, EventDefinition, EventEnvelope } from './envelope.js';

export interface HandlerContext {
  /** the consuming module's transaction; the inbox row commits with the handler's effect */
  trx: Knex.Transaction;
  log: Logger;
  /** resolves the consuming module's own services */
  resolve<T>(name: string): T;
}

/** A module's reaction to one event kind; `handler` names it in the inbox, so keep it stable. */
export interface EventSubscription<E extends EventDefinition = EventDefinition> {
  event: E;
  handler: string;
  handle(event: EventEnvelope<EventData<E>>, context: HandlerContext): Promise<void>;
  /**
   * Which events of this kind the module wants at all, judged by the publishing relay from
   * the event's data (not yet checked against the schema, so read it defensively): an event
   * no subscription of a module accepts is never queued for it, which saves a job and a
   * consumer transaction per event it would only ignore.
   */
  accepts?(data: EventData<E>): boolean;
}

/**
 * Declares a subscription in a module manifest.
 * @example subscribe(UserRegistered, 'welcome-email', async (event, { trx }) => { … })
 * @example subscribe(OrderStatusChanged, 'order-status', handle, { accepts: (data) => data.to === 'CONFIRMED' })
 */
export function subscribe<E extends EventDefinition>(
  event: E,
  handler: string,
  handle: EventSubscription<E>['handle'],
  options: Pick<EventSubscription<E>, 'accepts'> = {},
): EventSubscription {
  return { event, handler, handle, ...options } as unknown as EventSubscription;
}
