import type { Middleware, Context } from 'koa';
import { ZodError } from 'zod';
import type { Logger } from '../observability/logger.js';
import { InternalError, isProblem, Problem } from './problem.js';

const PROBLEM_TYPE_BASE = 'https://problems.commerce.dev/';

/** Errors raised by Koa and its middleware (body parser, router) carry an HTTP status. */
function isHttpError(error: unknown): error is Error & { status: number; expose?: boolean } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad-request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed',
  406: 'not-acceptable', 409: 'conflict', 411: 'length-required', 413: 'payload-too-large', 415: 'unsupported-media-type',
  422: 'unprocessable', 429: 'too-many-requests', 501: 'not-implemented', 503: 'service-unavailable',
};

function toProblem(error: unknown): Problem | undefined {
  if (isProblem(error)) return error;
  if (error instanceof ZodError) {
    return new Problem({
      status: 400, code: 'validation-failed', title: 'The request is not valid',
      detail: error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
      extensions: { errors: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message, code: issue.code })) },
    });
  }
  if (isHttpError(error) && error.status >= 400 && error.status < 500) {
    const code = CODE_BY_STATUS[error.status] ?? 'client-error';
    // co-body reports malformed JSON as a 400 whose message names the parse failure.
    const detail = error.status === 400 && /JSON|Unexpected|token/i.test(error.message) ? `Malformed JSON body: ${error.message}` : error.message;
    const title = code.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
    return new Problem({ status: error.status, code, title, detail });
  }
  return undefined;
}

/** The RFC 9457 document of a problem, as every answer of ours spells it. */
export function problemDocument(problem: Problem, instance: string, correlationId: string | undefined): Record<string, unknown> {
  return {
    type: `${PROBLEM_TYPE_BASE}${problem.code}`,
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    instance,
    code: problem.code,
    correlationId,
    ...problem.extensions,
  };
}

function send(ctx: Context, problem: Problem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = 'application/problem+json';
  ctx.body = problemDocument(problem, ctx.path, ctx.state.correlationId as string | undefined);
}

/**
 * The one place where failures become RFC 9457 problem+json; unknown errors are logged
 * and answered as an opaque 500 that leaks nothing but the correlation id.
 */
export function problemResponses(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        send(ctx, new Problem({ status: 404, code: 'not-found', title: 'Not found', detail: `No route for ${ctx.method} ${ctx.path}` }));
      }
    } catch (error) {
      const problem = toProblem(error);
      if (problem) {
        send(ctx, problem);
        return;
      }
      log.error({ err: error, path: ctx.path, method: ctx.method }, 'unhandled error');
      send(ctx, InternalError('An unexpected error occurred; quote the correlation id when reporting it.'));
    }
  };
}
