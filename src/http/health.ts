import Router from '@koa/router';
import { ServiceUnavailable } from './problem.js';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

async function probe(name: string, check: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
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

/** `/healthz` says the process is alive; `/readyz` that every dependency answers now. */
export function healthRoutes(checks: Record<string, ReadinessCheck>): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(Object.entries(checks).map(([name, check]) => probe(name, check)));
    const failed = results.filter((result) => !result.ok);
    if (failed.length > 0) {
      throw ServiceUnavailable(`Not ready: ${failed.map((f) => `${f.name} (${f.error})`).join(', ')}`, { checks: results });
    }
    ctx.body = { status: 'ready', checks: results };
  });
  return router;
}
