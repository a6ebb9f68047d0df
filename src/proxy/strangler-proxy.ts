import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { correlationIdFrom } from '../http/correlation.js';
import { problemDocument } from '../http/errors.js';
import { isProblem, Problem } from '../http/problem.js';
import type { Logger } from '../observability/logger.js';
import { inSpan, tracingOn } from '../observability/tracing.js';
import { recordRequest, type HttpMetrics } from '../observability/http-metrics.js';
import { Histogram, type Registry } from 'prom-client';
import type { ServiceDirectory, Target } from './service-directory.js';
import { endToEndHeaders, forwardedRequestHeaders } from './forwarding-headers.js';
import { UpstreamExchange, type UpstreamHead } from './upstream-exchange.js';
import type { UpstreamPools } from './upstream-pools.js';
import { Deadline, DEADLINE_HEADER } from '../resilience/deadline.js';
import { UpstreamFailure } from '../resilience/failures.js';
import type { Resilience } from '../resilience/resilience.js';
import type { CallContext, CallOptions, ResilientDependency } from '../resilience/resilient-dependency.js';
import { UpstreamUnavailable } from '../resilience/resilience-problems.js';
import type { ServiceTokens } from '../security/service-tokens.js';
import type { ModulePrefixes } from './module-prefixes.js';
import type { ModuleRoute } from './module-route.js';
import type { RouteTable } from './route-table.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The fallback of a read whose module is still hosted here: no answer from upstream, the local module serves it. */
const SERVE_LOCALLY = (): null => null;
/** An explicit wish of the caller to reach the extracted service while a canary runs. */
export const ROUTE_TO_HEADER = 'x-route-to';

export interface StranglerProxyParts {
  prefixes: ModulePrefixes;
  /** modules this process can also serve itself (the fallback for reads) */
  hosted: ReadonlySet<string>;
  routes: RouteTable;
  directory: ServiceDirectory;
  pools: UpstreamPools;
  tokens: ServiceTokens;
  policies: Resilience;
  log: Logger;
  metrics: ProxyMetrics;
  /** the deadline of a proxied request when its caller sent none; the upstream is told what is left */
  timeoutMs: number;
  random?: () => number;
}

export interface ProxyMetrics {
  http: HttpMetrics;
  /** time to the upstream's response head, by module and upstream instance */
  upstream: Histogram<'module' | 'target'>;
}

export function createProxyMetrics(registry: Registry, http: HttpMetrics): ProxyMetrics {
  return {
    http,
    upstream: new Histogram({
      name: 'proxy_upstream_duration_seconds', help: 'Time until an extracted service answered a proxied request (its response head)',
      labelNames: ['module', 'target'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
    }),
  };
}

interface Forwarded {
  exchange: UpstreamExchange;
  head: UpstreamHead;
  target: Target;
}

/**
 * The front door of the strangler fig. A request is matched to its module by path prefix
 * before any middleware runs; when the route table sends that module elsewhere, the request
 * is streamed both ways over a keep-alive pool to a live instance, through the module's
 * resilience policy. Reads whose upstream fails fall back to the local module when it is
 * still hosted here; anything else fails fast with a 503 problem.
 * @example http.createServer(proxy.frontDoor(app.callback()))
 */
export class StranglerProxy {
  private readonly random: () => number;
  /** each module's resilience policy, looked up once rather than by name on every request */
  private readonly dependencies = new Map<string, ResilientDependency>();
  private readonly boundUpstream = new Map<string, { observe(seconds: number): void }>();

  constructor(private readonly parts: StranglerProxyParts) {
    this.random = parts.random ?? Math.random;
  }

  frontDoor(local: RequestListener): RequestListener {
    return (req, res) => {
      const module = this.remoteModuleOf(req);
      if (module === undefined) local(req, res);
      // With tracing off the span would be a placeholder: not even its name is made.
      else if (!tracingOn()) void this.forward(req, res, module, local);
      else void inSpan(`strangler.proxy ${module}`, { attributes: { 'commerce.module': module } }, () => this.forward(req, res, module, local));
    };
  }

  private dependencyOf(module: string): ResilientDependency {
    let dependency = this.dependencies.get(module);
    if (!dependency) {
      dependency = this.parts.policies.dependency(`proxy.${module}`);
      this.dependencies.set(module, dependency);
    }
    return dependency;
  }

  /** The upstream histogram's series of one module and instance, bound once rather than found by its labels per request. */
  private upstreamSeries(module: string, target: string): { observe(seconds: number): void } {
    const key = `${module} ${target}`;
    let series = this.boundUpstream.get(key);
    if (!series) {
      series = this.parts.metrics.upstream.labels({ module, target });
      this.boundUpstream.set(key, series);
    }
    return series;
  }

  /** The module whose request must go to its extracted service, or undefined to serve it here. */
  private remoteModuleOf(req: IncomingMessage): string | undefined {
    const module = this.parts.prefixes.moduleOf(req.url ?? '/');
    if (module === undefined) return undefined;
    if (!this.parts.hosted.has(module)) return module;
    return this.sendsAway(this.parts.routes.route(module), req) ? module : undefined;
  }

  private sendsAway(route: ModuleRoute, req: IncomingMessage): boolean {
    switch (route.mode) {
      case 'remote': return true;
      case 'canary':
        if (route.canaryHeader && req.headers[ROUTE_TO_HEADER] === 'extracted') return true;
        return route.canaryPercent > 0 && this.random() * 100 < route.canaryPercent;
      default: return false;
    }
  }

  private async forward(req: IncomingMessage, res: ServerResponse, module: string, local: RequestListener): Promise<void> {
    const started = performance.now();
    const correlationId = correlationIdFrom(req.headers['x-request-id']);
    const safe = SAFE_METHODS.has(req.method ?? 'GET');
    const fallBack = safe && this.parts.hosted.has(module);
    try {
      const deadline = Deadline.fromHeader(req.headers[DEADLINE_HEADER]) ?? Deadline.after(this.parts.timeoutMs);
      const options: CallOptions<Forwarded | null> = { idempotent: safe, deadline };
      // the route only matters to fault injection, which is off unless the process was started for chaos
      if (this.parts.policies.faults.enabled) options.route = `${req.method} ${module}`;
      if (fallBack) options.fallback = SERVE_LOCALLY;
      const forwarded = await this.dependencyOf(module).execute((context) => this.attempt(req, module, correlationId, safe, context), options);
      if (forwarded === null) {
        res.setHeader('x-fallback', 'local');
        local(req, res);
        return;
      }
      const { exchange, head, target } = forwarded;
      const headers = endToEndHeaders(head.headers);
      headers['x-request-id'] = correlationId;
      res.writeHead(head.status, headers);
      exchange.pipeTo(res, () => this.logExchange(req, head.status, started, module, correlationId, target.url));
    } catch (error) {
      this.refuse(req, res, error, correlationId);
      this.logExchange(req, res.statusCode, started, module, correlationId, undefined, error);
    }
  }

  private async attempt(req: IncomingMessage, module: string, correlationId: string, safe: boolean, context: CallContext): Promise<Forwarded> {
    const { directory, routes, tokens, pools } = this.parts;
    // Both come from memory once known: the awaits only happen on a module's first request and once a minute.
    const query = { servicesOnly: true, fixedUrl: routes.route(module).targetUrl };
    const target = directory.pickKnown(module, query) ?? await directory.pick(module, query);
    if (!target) throw UpstreamUnavailable(`No instance of the ${module} service is registered`);
    const serviceToken = tokens.cachedTokenFor(module) ?? await tokens.tokenFor(module);
    const headers = forwardedRequestHeaders(req, { correlationId, serviceToken, deadline: context.deadline.toHeader() });
    const exchange = new UpstreamExchange();
    context.onAbort((reason) => exchange.abort(reason));
    pools.for(target.origin).dispatch({
      path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers: headers as Record<string, string>, body: safe ? null : req,
    }, exchange);
    let head: UpstreamHead;
    const sent = performance.now();
    try {
      head = await exchange.head;
    } catch (error) {
      directory.report(target, false);
      throw error;
    }
    this.upstreamSeries(module, target.url).observe((performance.now() - sent) / 1000);
    const unavailable = head.status === 502 || head.status === 503 || head.status === 504;
    directory.report(target, !unavailable);
    // A read answered "unavailable" may be tried elsewhere; a write's answer is the answer.
    if (unavailable && safe) {
      exchange.abort(new Error('discarded for a retry'));
      throw new UpstreamFailure(`the ${module} service answered ${head.status}`, { status: head.status });
    }
    return { exchange, head, target };
  }

  private refuse(req: IncomingMessage, res: ServerResponse, error: unknown, correlationId: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const problem = isProblem(error) ? error : new Problem({ status: 502, code: 'bad-gateway', title: 'Bad gateway', detail: 'The service behind this route failed' });
    const body = JSON.stringify(problemDocument(problem, (req.url ?? '/').split('?')[0]!, correlationId));
    res.writeHead(problem.status, { ...problem.headers, 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), 'x-request-id': correlationId });
    res.end(body);
  }

  private logExchange(req: IncomingMessage, status: number, started: number, module: string, correlationId: string, upstream?: string, error?: unknown): void {
    const durationMs = performance.now() - started;
    recordRequest(this.parts.metrics.http, { method: req.method ?? 'GET', route: `proxied:${module}`, status: String(status), module }, durationMs / 1000);
    const failed = status >= 500;
    // The line is made only when it will be written: at `warn`, a successful exchange costs nothing here.
    if (!this.parts.log.isLevelEnabled(failed ? 'warn' : 'info')) return;
    const line = {
      correlationId, module, method: req.method, path: (req.url ?? '/').split('?')[0], status,
      durationMs: Math.round(durationMs * 100) / 100, ...(upstream ? { upstream } : {}),
      ...(error ? { err: isProblem(error) ? error.code : (error as Error).message } : {}),
    };
    if (failed) this.parts.log.warn(line, 'proxied request failed');
    else this.parts.log.info(line, 'proxied');
  }
}
