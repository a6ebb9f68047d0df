import Router from '@koa/router';
import { z } from 'zod';
import type { EventPipeline } from '../events/event-pipeline.js';
import type { Guards } from '../http/authenticate.js';
import { readBody, readQuery } from '../http/validate.js';

const DeadLetterQuery = z.strictObject({
  module: z.string().min(1).optional(),
  status: z.enum(['waiting', 'redriving', 'parked', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const ReplayInput = z.strictObject({
  module: z.string().min(1).optional(),
  eventIds: z.array(z.uuid()).min(1).max(1_000).optional(),
});
const TraceQuery = z.strictObject({ key: z.string().trim().min(1).max(200) });

/** The operator's view of events: dead letters, replays, a business key's trail, backlog and lag. */
export function eventAdminRoutes(events: EventPipeline, guards: Guards): Router {
  const router = new Router({ prefix: '/admin/events' });
  router.use(guards.requireRole('admin'));

  router.get('/dead-letters', async (ctx) => {
    const query = readQuery(ctx, DeadLetterQuery);
    ctx.body = { items: await events.listDeadLetters(query) };
  });

  router.post('/dead-letters/replay', async (ctx) => {
    const input = readBody(ctx, ReplayInput);
    const replayed = await events.replayDeadLetters(input);
    ctx.body = { replayed, count: replayed.reduce((sum, entry) => sum + entry.eventIds.length, 0) };
  });

  router.get('/trace', async (ctx) => {
    const { key } = readQuery(ctx, TraceQuery);
    ctx.body = { key, ...(await events.trace(key)) };
  });

  router.get('/stats', async (ctx) => {
    ctx.body = { backlog: await events.backlog(), modules: events.stats.snapshot() };
  });
  return router;
}
