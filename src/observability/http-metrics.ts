import type { Middleware } from 'koa';
import { Counter, Histogram, type Registry } from 'prom-client';

export type HttpLabel = 'method' | 'route' | 'status' | 'module';

export interface HttpMetrics {
  duration: Histogram<HttpLabel>;
  requests: Counter<HttpLabel>;
}

// From a fast cache hit to a slow saga start; most answers here take a few milliseconds.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Anything else a client may send would be a new label value; only these are kept.
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function createHttpMetrics(registry: Registry): HttpMetrics {
  return {
    duration: new Histogram({
      name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request, by route template',
      labelNames: ['method', 'route', 'status', 'module'] as const, buckets: BUCKETS, registers: [registry],
    }),
    requests: new Counter({
      name: 'http_requests_total', help: 'HTTP requests answered, by route template',
      labelNames: ['method', 'route', 'status', 'module'] as const, registers: [registry],
    }),
  };
}

interface LabelledSeries {
  duration: { observe(seconds: number): void };
  requests: { inc(): void };
}

/**
 * The series of each label set, bound once: a request skips building its label object and
 * binding it again (prom-client still checks and hashes the bound labels at each
 * observation, about 0.8 µs for a duration and a count). Label values are bounded, and so is this map.
 */
const boundSeries = new WeakMap<HttpMetrics, Map<string, LabelledSeries>>();

/** Records one answered request; `route` is a template (`/api/v1/orders/:id`), never a raw URL. */
export function recordRequest(metrics: HttpMetrics, labels: Record<HttpLabel, string>, seconds: number): void {
  const method = KNOWN_METHODS.has(labels.method) ? labels.method : 'OTHER';
  let bound = boundSeries.get(metrics);
  if (!bound) boundSeries.set(metrics, bound = new Map());
  const key = `${method} ${labels.route} ${labels.status} ${labels.module}`;
  let series = bound.get(key);
  if (!series) {
    const labelled = { ...labels, method };
    series = { duration: metrics.duration.labels(labelled), requests: metrics.requests.labels(labelled) };
    bound.set(key, series);
  }
  series.duration.observe(seconds);
  series.requests.inc();
}

/**
 * Times every request the app answers, labelled by the route template the router matched
 * (`unmatched` when none did), so label values stay bounded whatever URLs clients send.
 */
export function httpMetricsMiddleware(metrics: HttpMetrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
      recordRequest(metrics, {
        method: ctx.method, route, status: String(ctx.status), module: (ctx.state.module as string | undefined) ?? 'kernel',
      }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
