import type { ServiceDirectory } from '../proxy/service-directory.js';
import { Problem } from '../http/problem.js';
import { currentContext } from '../observability/request-context.js';
import { inSpan, SpanKind } from '../observability/tracing.js';
import type { RouteTable } from '../proxy/route-table.js';
import { SERVICE_TOKEN_HEADER, type ServiceTokens } from '../security/service-tokens.js';
import { FACADE_PATH_PREFIX } from '../http/facade-endpoint.js';
import { DEADLINE_HEADER, type Deadline } from './deadline.js';
import { UpstreamFailure } from './failures.js';
import type { Resilience } from './resilience.js';
import { UpstreamUnavailable } from './resilience-problems.js';
import type { UpstreamPools } from '../proxy/upstream-pools.js';

export interface ModuleCallerParts {
  directory: ServiceDirectory;
  routes: RouteTable;
  pools: UpstreamPools;
  tokens: ServiceTokens;
  policies: Resilience;
}

interface ProblemBody {
  code?: string;
  title?: string;
  detail?: string;
}

/**
 * Calls a facade method of a module hosted in another process, through that module's
 * resilience policy: every facade method is idempotent, so a failed attempt is retried on
 * another instance. A problem the callee answers is raised here as the same problem (same
 * status and code), so callers handle a remote refusal exactly like a local one.
 * @example await caller.call('product', 'reserveInventory', { reservationId, items })
 */
export class ModuleCaller {
  constructor(private readonly parts: ModuleCallerParts) {}

  call(module: string, method: string, argument: unknown): Promise<unknown> {
    return inSpan(`module.call ${module}.${method}`, { kind: SpanKind.CLIENT, attributes: { 'commerce.module': module, 'commerce.method': method } }, () =>
      this.parts.policies.dependency(`module.${module}`).execute(
        ({ signal, deadline }) => this.attempt(module, method, argument, signal, deadline),
        { idempotent: true, route: `${module}.${method}` },
      ));
  }

  private async attempt(module: string, method: string, argument: unknown, signal: AbortSignal, deadline: Deadline): Promise<unknown> {
    const { directory, routes, tokens, pools } = this.parts;
    const query = { fixedUrl: routes.route(module).targetUrl };
    const target = directory.pickKnown(module, query) ?? await directory.pick(module, query);
    if (!target) throw UpstreamUnavailable(`No instance of the ${module} module is reachable`);
    const context = currentContext();
    let answer;
    try {
      answer = await pools.for(target.origin).request({
        path: `${FACADE_PATH_PREFIX}${module}/${method}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SERVICE_TOKEN_HEADER]: tokens.cachedTokenFor(module) ?? await tokens.tokenFor(module),
          [DEADLINE_HEADER]: deadline.toHeader(),
          ...(context ? { 'x-request-id': context.correlationId } : {}),
        },
        body: JSON.stringify({ argument }),
        signal,
      });
    } catch (error) {
      directory.report(target, false);
      throw error;
    }
    const text = await answer.body.text();
    const unavailable = answer.statusCode >= 502 && answer.statusCode <= 504;
    directory.report(target, !unavailable);
    if (answer.statusCode === 200) return (JSON.parse(text) as { result?: unknown }).result;
    if (unavailable) throw new UpstreamFailure(`${module}.${method} answered ${answer.statusCode}`, { status: answer.statusCode });
    const problem = parseProblem(text);
    if (answer.statusCode >= 500) {
      throw new Problem({ status: 502, code: 'upstream-failed', title: 'A module this depends on failed', detail: `${module}.${method} answered ${answer.statusCode}${problem.code ? ` (${problem.code})` : ''}` });
    }
    throw new Problem({
      status: answer.statusCode, code: problem.code ?? 'upstream-refused', title: problem.title ?? 'Refused by another module',
      ...(problem.detail ? { detail: problem.detail } : {}),
    });
  }
}

function parseProblem(text: string): ProblemBody {
  try {
    return JSON.parse(text) as ProblemBody;
  } catch {
    return {};
  }
}
