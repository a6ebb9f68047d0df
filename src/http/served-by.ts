import type { Middleware } from 'koa';

/** Says in every answer which process served it, so a route switch is visible from outside. */
export function servedBy(serviceName: string): Middleware {
  return async (ctx, next) => {
    ctx.set('x-served-by', serviceName);
    await next();
  };
}
