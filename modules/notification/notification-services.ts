import type { HandlerContext } from '../../src/events/subscription.js';
import type { NotificationChannels } from './channels/notification-channels.js';
import type { CustomerNotifier } from './customer-notifier.js';
import type { NotificationDispatcher } from './notification-dispatcher.js';
import type { NotificationLog } from './notification-log.js';
import type { PendingDeliveries } from './pending-deliveries.js';
import type { Recipients } from './recipients.js';

/** The module's own services in its container, by registration name (see index.ts). */
export interface NotificationServices {
  recipients: Recipients;
  notificationLog: NotificationLog;
  pendingDeliveries: PendingDeliveries;
  notificationChannels: NotificationChannels;
  notificationDispatcher: NotificationDispatcher;
  customerNotifier: CustomerNotifier;
}

/**
 * A service for an event handler, by a name the compiler checks.
 * @example const notifier = serviceFor(resolve, 'customerNotifier')
 */
export function serviceFor<K extends keyof NotificationServices>(resolve: HandlerContext['resolve'], name: K): NotificationServices[K] {
  return resolve<NotificationServices[K]>(name);
}
