import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../observability/logger.js';
import { runWithContext } from '../observability/request-context.js';

// A caller-supplied id is echoed only when it is short and printable, so it cannot forge log lines.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's `x-request-id` when it is acceptable, else a new one. A random UUID (v4), not
 * a time-ordered one: correlation ids are only ever looked up by equality (a caller may send
 * any string), and Node hands out v4 ids from a cached pool of entropy, where a v7 id asks
 * OpenSSL for fresh bytes every time (a few µs and a getpid() call on every proxied request).
 */
export function correlationIdFrom(offered: string | string[] | undefined): string {
  return typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
}

/**
 * Takes the correlation id from `x-request-id` (or makes one), echoes it, makes it
 * visible to every log line of the request, and logs one line when the request ends.
 */
export function correlation(log: Logger): Middleware {
  return async (ctx, next) => {
    const correlationId = correlationIdFrom(ctx.get('x-request-id'));
    ctx.state.correlationId = correlationId;
    ctx.set('x-request-id', correlationId);
    const started = process.hrtime.bigint();
    await runWithContext({ correlationId }, async () => {
      try {
        await next();
      } finally {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        const line = { method: ctx.method, path: ctx.path, status: ctx.status, durationMs: Math.round(durationMs * 100) / 100, ...(ctx.state.module ? { module: ctx.state.module } : {}) };
        if (ctx.status >= 500) log.error(line, 'request failed');
        else log.info(line, 'request');
      }
    });
  };
}
