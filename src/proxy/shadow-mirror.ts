import type { Context, Middleware } from 'koa';
import type { Counter } from 'prom-client';
import type { ServiceDirectory } from './service-directory.js';
import type { Logger } from '../observability/logger.js';
import type { UpstreamPools } from './upstream-pools.js';
import { SERVICE_TOKEN_HEADER, type ServiceTokens } from '../security/service-tokens.js';
import type { ModulePrefixes } from './module-prefixes.js';
import type { RouteTable } from './route-table.js';
import { firstDifference, type ShadowComparisons } from './shadow-comparisons.js';

export interface ShadowMirrorParts {
  prefixes: ModulePrefixes;
  routes: RouteTable;
  directory: ServiceDirectory;
  pools: UpstreamPools;
  tokens: ServiceTokens;
  comparisons: ShadowComparisons;
  outcomes: Counter<'module' | 'outcome'>;
  log: Logger;
  timeoutMs: number;
}

// Only reads are mirrored: a write served twice would happen twice.
const SAFE_METHODS = new Set(['GET', 'HEAD']);
// Headers that shape the answer; everything else (cookies, forwarding) stays home.
const MIRRORED_HEADERS = ['authorization', 'accept', 'accept-language', 'if-none-match'];

const asJson = (body: unknown): unknown => {
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body)) return asJson(body.toString('utf8'));
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return JSON.parse(JSON.stringify(body));
};

/**
 * Shadow mode: the local module answers the client as usual; afterwards, off the client's
 * path, the same read goes to the extracted service and the two answers are compared
 * (status, then the JSON body member by member).
 */
export function shadowMirror(parts: ShadowMirrorParts): Middleware {
  return async (ctx, next) => {
    await next();
    if (!SAFE_METHODS.has(ctx.method)) return;
    const module = parts.prefixes.moduleOf(ctx.url);
    if (module === undefined || parts.routes.route(module).mode !== 'shadow') return;
    const local = { status: ctx.status, body: asJson(ctx.body) };
    const request = { method: ctx.method, url: ctx.url, path: ctx.path, correlationId: String(ctx.state.correlationId ?? ''), headers: mirroredHeaders(ctx) };
    setImmediate(() => { void compare(parts, module, request, local); });
  };
}

function mirroredHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of MIRRORED_HEADERS) {
    const value = ctx.get(name);
    if (value) headers[name] = value;
  }
  return headers;
}

async function compare(
  parts: ShadowMirrorParts, module: string,
  request: { method: string; url: string; path: string; correlationId: string; headers: Record<string, string> },
  local: { status: number; body: unknown },
): Promise<void> {
  const about = { method: request.method, path: request.path, correlationId: request.correlationId, localStatus: local.status };
  try {
    const target = await parts.directory.pick(module, { servicesOnly: true, fixedUrl: parts.routes.route(module).targetUrl });
    if (!target) throw new Error('no extracted instance is registered');
    const answer = await parts.pools.for(target.origin).request({
      path: request.url, method: request.method as 'GET',
      headers: { ...request.headers, 'x-request-id': request.correlationId, 'x-shadow': '1', [SERVICE_TOKEN_HEADER]: await parts.tokens.tokenFor(module) },
      signal: AbortSignal.timeout(parts.timeoutMs),
    });
    const text = await answer.body.text();
    const difference = answer.statusCode !== local.status ? 'status' : firstDifference(local.body, asJson(text));
    if (difference === undefined) {
      parts.comparisons.matched(module);
      parts.outcomes.inc({ module, outcome: 'matched' });
      return;
    }
    parts.comparisons.differed(module, { ...about, remoteStatus: answer.statusCode, difference }, false);
    parts.outcomes.inc({ module, outcome: 'differed' });
  } catch (error) {
    parts.comparisons.differed(module, { ...about, remoteStatus: null, difference: `no answer: ${(error as Error).message}` }, true);
    parts.outcomes.inc({ module, outcome: 'failed' });
    parts.log.debug({ module, err: (error as Error).message }, 'shadow request failed');
  }
}
