import { z } from 'zod';
import type { ApiRoutes } from '../http/api/api-routes.js';
import { Conflict, NotFound } from '../http/problem.js';
import type { SagaEngine } from '../saga/saga-engine.js';
import type { SagaRecord } from '../saga/saga-store.js';

export interface HostedSagas {
  module: string;
  engine: SagaEngine;
}

const TAG = 'admin: sagas';
const Timestamp = z.iso.datetime({ offset: true });
const SagaStatus = z.enum(['RUNNING', 'WAITING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'NEEDS_ATTENTION']);

const SagaQuery = z.strictObject({
  status: SagaStatus.optional(),
  type: z.string().min(1).max(100).optional(),
  module: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
// Any text: a malformed id names no saga, so it is simply not found.
const SagaParams = z.strictObject({ id: z.string().describe('the saga id (a UUID)') });
const SagaId = z.uuid();

const Saga = z.object({
  module: z.string(), id: z.uuid(), sagaType: z.string(), lockKey: z.string().nullable(), status: SagaStatus,
  step: z.number().int(), state: z.record(z.string(), z.unknown()), awaiting: z.string().nullable(),
  signals: z.array(z.string()).describe('names of the signals received'),
  failure: z.object({ code: z.string(), message: z.string(), step: z.string() }).nullable(),
  attempts: z.number().int(), lastError: z.string().nullable(), parkedStatus: SagaStatus.nullable(),
  wakeAt: Timestamp.nullable(), deadlineAt: Timestamp.nullable(), correlationId: z.string(),
  traceId: z.string().nullable().describe('the trace of the request that started the saga (find it in the trace viewer); null when nothing was traced'),
  version: z.number().int(),
  createdAt: Timestamp, updatedAt: Timestamp, finishedAt: Timestamp.nullable(), deadlinePassed: z.boolean().optional(),
}).meta({ id: 'Saga', description: 'A durable saga of a hosted module' });

const view = (module: string, { traceparent, ...saga }: SagaRecord) => ({
  module, ...saga, signals: Object.keys(saga.signals), traceId: traceparent?.split('-')[1] ?? null,
});

/**
 * The operator's view of sagas in every hosted module: what is stuck, and a way to push it on.
 * @example sagaAdminRoutes(api, [{ module: 'order', engine }])
 */
export function sagaAdminRoutes(api: ApiRoutes, hosted: readonly HostedSagas[]): void {
  api.describeTag(TAG, 'Inspecting durable sagas and retrying those that need attention');

  const locate = async (id: string): Promise<{ module: string; engine: SagaEngine; saga: SagaRecord }> => {
    if (!SagaId.safeParse(id).success) throw NotFound(`No saga ${id}`);
    for (const { module, engine } of hosted) {
      const saga = await engine.find(id);
      if (saga) return { module, engine, saga };
    }
    throw NotFound(`No saga ${id}`);
  };

  api.route({
    operationId: 'listSagas', method: 'get', path: '/admin/sagas', summary: 'List sagas, most recently changed first', tags: [TAG], access: 'admin',
    request: { query: SagaQuery },
    responses: { 200: { description: 'Sagas of every hosted module', body: z.object({ items: z.array(Saga) }) } },
  }).handle(async ({ query: { module, type, status, limit } }) => {
    const lists = await Promise.all(hosted.filter((h) => h.engine.hasSagas && (!module || h.module === module))
      .map(async (h) => (await h.engine.list({ limit, ...(status ? { status } : {}), ...(type ? { sagaType: type } : {}) })).map((saga) => view(h.module, saga))));
    return { status: 200, body: { items: lists.flat().sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, limit) } };
  });

  api.route({
    operationId: 'readSaga', method: 'get', path: '/admin/sagas/:id', summary: 'Read a saga', tags: [TAG], access: 'admin',
    request: { params: SagaParams },
    responses: { 200: { description: 'The saga', body: Saga } },
    problems: [NotFound],
  }).handle(async ({ params }) => {
    const { module, saga } = await locate(params.id);
    return { status: 200, body: view(module, saga) };
  });

  api.route({
    operationId: 'retrySaga', method: 'post', path: '/admin/sagas/:id/retry', summary: 'Retry a saga that needs attention', tags: [TAG], access: 'admin',
    request: { params: SagaParams },
    responses: { 202: { description: 'The saga, resumed', body: Saga } },
    problems: [NotFound, Conflict],
  }).handle(async ({ params }) => {
    const { module, engine, saga } = await locate(params.id);
    if (saga.status !== 'NEEDS_ATTENTION') throw Conflict(`Saga ${saga.id} is ${saga.status}; only a NEEDS_ATTENTION saga is retried by hand`);
    const resumed = await engine.retry(saga.id);
    if (!resumed) throw Conflict(`Saga ${saga.id} changed meanwhile; look again`);
    return { status: 202, body: view(module, resumed) };
  });
}
