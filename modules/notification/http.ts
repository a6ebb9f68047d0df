import type Router from '@koa/router';
import { z } from 'zod';
import type { ModuleKernel } from '../../src/app/module-definition.js';
import { cradleOf } from '../../src/app/request-scope.js';
import { principalOf } from '../../src/http/authenticate.js';
import { readQuery } from '../../src/http/validate.js';
import type { NotificationServices } from './notification-services.js';

const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) });

export function notificationRoutes(router: Router, { guards }: Pick<ModuleKernel, 'guards'>): void {
  router.get('/api/v1/notifications', guards.requireUser, async (ctx) => {
    const { limit } = readQuery(ctx, ListQuery);
    ctx.body = { items: await cradleOf<NotificationServices>(ctx).notificationLog.sentTo(principalOf(ctx).userId, limit) };
  });
}
