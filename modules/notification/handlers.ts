import { subscribe } from '../../src/events/subscription.js';
import { UserProfileUpdated, UserRegistered } from '../user/index.js';
import { welcomeMessage } from './domain/welcome-message.js';
import { serviceFor } from './notification-services.js';

/** The module's default preferences for a new user: the user module's own (email on, sms and push off). */
const NEW_USER_PREFERENCES = { email: true, sms: false, push: false };

/**
 * Events of the user module: they keep this module's copy of its recipients, and welcome
 * new customers. Handler names are inbox keys: keep them stable.
 */
export const notificationSubscriptions = [
  // One handler, not two: the copy must exist before the welcome looks for it, in the same transaction.
  subscribe(UserRegistered, 'welcome-message', async (event, { trx, resolve, log }) => {
    const { userId, email, firstName, lastName } = event.data;
    await serviceFor(resolve, 'recipients').rememberRegistered(trx, {
      userId, email, firstName, lastName, phone: null, preferences: NEW_USER_PREFERENCES, version: event.aggregateVersion,
    });
    const recorded = await serviceFor(resolve, 'customerNotifier').notify(trx, {
      eventId: event.eventId, userId, template: 'welcome', compose: welcomeMessage,
    }, log);
    if (recorded > 0) log.info({ userId, messages: recorded }, 'welcome message recorded');
  }),

  subscribe(UserProfileUpdated, 'recipient-profile', async (event, { trx, resolve }) => {
    const { profile } = event.data;
    await serviceFor(resolve, 'recipients').applyProfile(trx, {
      userId: profile.id, email: profile.email, firstName: profile.firstName, lastName: profile.lastName,
      phone: profile.phone, preferences: profile.preferences, version: event.aggregateVersion,
    });
  }),
];
