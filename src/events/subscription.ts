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
}

/**
 * Declares a subscription in a module manifest.
 * @example subscribe(UserRegistered, 'welcome-email', async (event, { trx }) => { … })
 */
export function subscribe<E extends EventDefinition>(
  event: E,
  handler: string,
  handle: EventSubscription<E>['handle'],
): EventSubscription {
  return { event, handler, handle } as unknown as EventSubscription;
}
