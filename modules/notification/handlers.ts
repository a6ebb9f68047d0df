import { subscribe } from '../../src/events/subscription.js';
import { UserRegistered } from '../user/index.js';
import { welcomeMessage } from './domain/welcome-message.js';
import type { NotificationLog } from './notification-log.js';

/** Events this module reacts to. Delivery over real channels arrives with the commerce flow. */
export const notificationSubscriptions = [
  subscribe(UserRegistered, 'welcome-message', async (event, { trx, resolve, log }) => {
    const message = welcomeMessage({ firstName: event.data.firstName });
    const recorded = await resolve<NotificationLog>('notificationLog').record(trx, {
      userId: event.data.userId, channel: 'email', recipient: event.data.email, template: 'welcome', eventId: event.eventId, ...message,
    });
    if (recorded) log.info({ userId: event.data.userId }, 'welcome message recorded');
  }),
];
