import type { Context } from 'koa';
import type { Operation } from './operation.js';

interface RawInput {
  params: unknown;
  headers: unknown;
  query: unknown;
  body: unknown;
}

/** Only the headers the schema names, looked up case-insensitively; an absent or empty one is `undefined`. */
function namedHeaders(ctx: Context, names: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, ctx.get(name) || undefined]));
}

/**
 * Parses the request's parts with the operation's schemas, in a fixed order (params, headers,
 * query, body) so the first fault named is always the same one. A zod failure propagates as
 * the 400 `validation-failed` problem (src/http/errors.ts).
 * @example const { params, body } = parseRequest(ctx, operation)
 */
export function parseRequest(ctx: Context, operation: Pick<Operation, 'request' | 'missingHeaders'>): RawInput {
  const { params, headers, query, body } = operation.request ?? {};
  const parsed: RawInput = { params: undefined, headers: undefined, query: undefined, body: undefined };
  if (params) parsed.params = params.parse(ctx.params);
  if (headers) {
    const raw = namedHeaders(ctx, Object.keys(headers.shape));
    for (const [name, missing] of Object.entries(operation.missingHeaders ?? {})) {
      if (raw[name] === undefined) throw missing();
    }
    parsed.headers = headers.parse(raw);
  }
  if (query) parsed.query = query.parse(ctx.query);
  // An empty body reads as {}, so a missing field is named rather than "expected object".
  if (body) parsed.body = body.parse(ctx.request.body ?? {});
  return parsed;
}
