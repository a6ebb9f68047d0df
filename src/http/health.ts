import { z } from 'zod';
import type { ApiRoutes } from './api/api-routes.js';
import { ServiceUnavailable } from './problem.js';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;
const TAG = 'operations';

const CheckResult = z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() });
const Alive = z.object({ status: z.literal('ok') });
const Ready = z.object({ status: z.literal('ready'), checks: z.array(CheckResult) });

async function probe(name: string, check: ReadinessCheck): Promise<z.infer<typeof CheckResult>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS); }),
    ]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz` says the process is alive; `/readyz` that every dependency answers now.
 * @example healthRoutes(api, { postgres: async () => { await db.raw('SELECT 1') } })
 */
export function healthRoutes(api: ApiRoutes, checks: Record<string, ReadinessCheck>): void {
  api.describeTag(TAG, 'Probes and machine-readable descriptions of this process');
  api.route({
    operationId: 'liveness', method: 'get', path: '/healthz', summary: 'Is the process alive?', tags: [TAG], access: 'public',
    responses: { 200: { description: 'The process answers', body: Alive } },
  }).handle(() => ({ status: 200, body: { status: 'ok' } }));
  api.route({
    operationId: 'readiness', method: 'get', path: '/readyz', summary: 'Does every dependency answer now?', tags: [TAG], access: 'public',
    description: 'A 503 problem lists each check with its error in `checks`.',
    responses: { 200: { description: 'PostgreSQL, Redis and the other checks all answered', body: Ready } },
    problems: [ServiceUnavailable],
  }).handle(async () => {
    const results = await Promise.all(Object.entries(checks).map(([name, check]) => probe(name, check)));
    const failed = results.filter((result) => !result.ok);
    if (failed.length > 0) throw ServiceUnavailable(`Not ready: ${failed.map((f) => `${f.name} (${f.error})`).join(', ')}`, { checks: results });
    return { status: 200, body: { status: 'ready', checks: results } };
  });
}
