import { z } from 'zod';
import { cradleOf } from '../../src/app/request-scope.js';
import type { ApiRoutes } from '../../src/http/api/api-routes.js';
import { SentNotification } from './contract.js';
import type { NotificationServices } from './notification-services.js';

const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) });
const Notification = SentNotification.meta({ id: 'Notification', description: 'A message sent (or still to be sent) to the caller' });
const TAG = 'notifications';

/** HTTP → use cases: a customer reads what was sent to them, nobody else's. */
export function notificationRoutes(api: ApiRoutes): void {
  api.describeTag(TAG, 'Messages sent to you by email, SMS or push');

  api.route({
    operationId: 'listNotifications', method: 'get', path: '/api/v1/notifications', summary: 'List the messages sent to you, newest first', tags: [TAG], access: 'user',
    request: { query: ListQuery },
    responses: { 200: { description: 'The caller’s messages', body: z.object({ items: z.array(Notification) }) } },
  }).handle(async ({ query, principal }, ctx) => ({
    status: 200, body: { items: await cradleOf<NotificationServices>(ctx).notificationLog.sentTo(principal.userId, query.limit) },
  }));
}
