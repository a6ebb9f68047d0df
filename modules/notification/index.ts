import { fileURLToPath } from 'node:url';
import { asClass } from 'awilix';
import { defineModule } from '../../src/app/module-definition.js';
import { notificationSubscriptions } from './handlers.js';
import { notificationRoutes } from './http.js';
import { NotificationLog } from './notification-log.js';

export * from './contract.js';

/** Messages to customers, driven by other modules' events. Owns schema `notifications`. */
export const notificationModule = defineModule({
  name: 'notification',
  schema: 'notifications',
  migrations: fileURLToPath(new URL('../../migrations/notifications/', import.meta.url)),
  routePrefixes: ['/api/v1/notifications'],
  publishes: [],
  subscriptions: notificationSubscriptions,
  register(container) {
    container.register({ notificationLog: asClass(NotificationLog).singleton() });
  },
  routes: notificationRoutes,
});
