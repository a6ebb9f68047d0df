import Router from '@koa/router';
import { z } from 'zod';
import type { Guards } from '../http/authenticate.js';
import { Conflict, NotFound } from '../http/problem.js';
import { readQuery } from '../http/validate.js';
import type { SagaEngine } from '../saga/saga-engine.js';
import type { SagaRecord } from '../saga/saga-store.js';

export interface HostedSagas {
  module: string;
  engine: SagaEngine;
}

const SagaQuery = z.strictObject({
  status: z.enum(['RUNNING', 'WAITING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'NEEDS_ATTENTION']).optional(),
  type: z.string().min(1).max(100).optional(),
  module: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const SagaId = z.uuid();

const view = (module: string, saga: SagaRecord) => ({ module, ...saga, signals: Object.keys(saga.signals) });

/** The operator's view of sagas in every hosted module: what is stuck, and a way to push it on. */
export function sagaAdminRoutes(hosted: readonly HostedSagas[], guards: Guards): Router {
  const router = new Router({ prefix: '/admin/sagas' });
  router.use(guards.requireRole('admin'));

  const locate = async (id: string): Promise<{ module: string; engine: SagaEngine; saga: SagaRecord }> => {
    if (!SagaId.safeParse(id).success) throw NotFound(`No saga ${id}`);
    for (const { module, engine } of hosted) {
      const saga = await engine.find(id);
      if (saga) return { module, engine, saga };
    }
    throw NotFound(`No saga ${id}`);
  };

  router.get('/', async (ctx) => {
    const { module, type, status, limit } = readQuery(ctx, SagaQuery);
    const lists = await Promise.all(hosted.filter((h) => h.engine.hasSagas && (!module || h.module === module))
      .map(async (h) => (await h.engine.list({ limit, ...(status ? { status } : {}), ...(type ? { sagaType: type } : {}) })).map((saga) => view(h.module, saga))));
    ctx.body = { items: lists.flat().sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, limit) };
  });

  router.get('/:id', async (ctx) => {
    const { module, saga } = await locate(ctx.params.id!);
    ctx.body = view(module, saga);
  });

  router.post('/:id/retry', async (ctx) => {
    const { module, engine, saga } = await locate(ctx.params.id!);
    if (saga.status !== 'NEEDS_ATTENTION') throw Conflict(`Saga ${saga.id} is ${saga.status}; only a NEEDS_ATTENTION saga is retried by hand`);
    const resumed = await engine.retry(saga.id);
    if (!resumed) throw Conflict(`Saga ${saga.id} changed meanwhile; look again`);
    ctx.status = 202;
    ctx.body = view(module, resumed);
  });
  return router;
}
