import { z } from 'zod';
import type { EventPipeline } from '../events/event-pipeline.js';
import type { ApiRoutes } from '../http/api/api-routes.js';
import { DeadLetterStatus, DeadLetterView, EventTrace, PipelineStatistics, ReplayOutcome } from './event-admin-views.js';

const TAG = 'admin: events';

const DeadLetterQuery = z.strictObject({
  module: z.string().min(1).optional(),
  status: DeadLetterStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const ReplayInput = z.strictObject({
  module: z.string().min(1).optional(),
  eventIds: z.array(z.uuid()).min(1).max(1_000).optional(),
});
const TraceQuery = z.strictObject({ key: z.string().trim().min(1).max(200) });

/**
 * The operator's view of events: dead letters, replays, a business key's trail, backlog and lag.
 * @example eventAdminRoutes(api, events)
 */
export function eventAdminRoutes(api: ApiRoutes, events: EventPipeline): void {
  api.describeTag(TAG, 'Operating the event pipeline: dead letters, replays, traces and statistics');

  api.route({
    operationId: 'listDeadLetters', method: 'get', path: '/admin/events/dead-letters', summary: 'List dead letters, newest first', tags: [TAG], access: 'admin',
    request: { query: DeadLetterQuery },
    responses: { 200: { description: 'Dead letters of every hosted module', body: z.object({ items: z.array(DeadLetterView) }) } },
  }).handle(async ({ query }) => ({ status: 200, body: { items: await events.listDeadLetters(query) } }));

  api.route({
    operationId: 'replayDeadLetters', method: 'post', path: '/admin/events/dead-letters/replay', summary: 'Deliver dead letters again', tags: [TAG], access: 'admin',
    description: 'Without `eventIds`, every waiting or parked dead letter (of `module`, when given) is replayed.',
    request: { body: ReplayInput },
    responses: { 200: { description: 'What was handed back to the consumers', body: ReplayOutcome } },
  }).handle(async ({ body }) => {
    const replayed = await events.replayDeadLetters(body);
    return { status: 200, body: { replayed, count: replayed.reduce((sum, entry) => sum + entry.eventIds.length, 0) } };
  });

  api.route({
    operationId: 'traceBusinessKey', method: 'get', path: '/admin/events/trace', summary: "Follow a business key through the events", tags: [TAG], access: 'admin',
    description: 'The key may be an order, user or event id, a correlation id, or any value in event data.',
    request: { query: TraceQuery },
    responses: { 200: { description: 'The trail of the key', body: EventTrace } },
  }).handle(async ({ query: { key } }) => ({ status: 200, body: { key, ...(await events.trace(key)) } }));

  api.route({
    operationId: 'eventStatistics', method: 'get', path: '/admin/events/stats', summary: 'Backlog and publish lag per module', tags: [TAG], access: 'admin',
    responses: { 200: { description: 'Backlog now, counters since start', body: PipelineStatistics } },
  }).handle(async () => ({ status: 200, body: { backlog: await events.backlog(), modules: events.stats.snapshot() } }));
}
