import type { Middleware } from 'koa';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One Prometheus registry per platform (not prom-client's global one), so two platforms in
 * one process (tests, benchmarks) never fight over metric names.
 * @example const metrics = createMetricsRegistry('monolith')
 */
export function createMetricsRegistry(serviceName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** `GET /metrics` in Prometheus' text format; a path of its own, outside the JSON API. */
export function metricsEndpoint(registry: Registry): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.type = registry.contentType;
    ctx.set('cache-control', 'no-store');
    ctx.body = await registry.metrics();
  };
}
