import { fileURLToPath } from 'node:url';
import { asClass } from 'awilix';
import { defineModule } from '../../src/app/module-definition.js';
import { NotificationChannels } from './channels/notification-channels.js';
import { commerceSubscriptions } from './commerce-handlers.js';
import { CustomerNotifier } from './customer-notifier.js';
import { notificationSubscriptions } from './handlers.js';
import { notificationRoutes } from './http.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import { NotificationLog } from './notification-log.js';
import { PendingDeliveries } from './pending-deliveries.js';
import { Recipients } from './recipients.js';

export * from './contract.js';

/** Messages to customers, driven by other modules' events. Owns schema `notifications`. */
export const notificationModule = defineModule({
  name: 'notification',
  schema: 'notifications',
  migrations: fileURLToPath(new URL('../../migrations/notifications/', import.meta.url)),
  routePrefixes: ['/api/v1/notifications'],
  publishes: [],
  subscriptions: [...notificationSubscriptions, ...commerceSubscriptions],
  register(container) {
    container.register({
      recipients: asClass(Recipients).singleton(),
      notificationLog: asClass(NotificationLog).singleton(),
      pendingDeliveries: asClass(PendingDeliveries).singleton(),
      notificationChannels: asClass(NotificationChannels).singleton(),
      // Disposed with the container (platform close): waits for sends in flight, closes the transports.
      notificationDispatcher: asClass(NotificationDispatcher).singleton().disposer((dispatcher) => dispatcher.stop()),
      customerNotifier: asClass(CustomerNotifier).singleton(),
    });
  },
  routes: notificationRoutes,
  start: (container) => container.resolve<NotificationDispatcher>('notificationDispatcher').start(),
});
