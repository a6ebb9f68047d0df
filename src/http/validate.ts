import type { Context } from 'koa';
import type { z } from 'zod';

/**
 * Parses the JSON body against a schema; a failure becomes a 400 problem naming each field.
 * @example const input = readBody(ctx, RegisterInput)
 */
export function readBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return schema.parse(ctx.request.body ?? {});
}

/** Same for the query string. */
export function readQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return schema.parse(ctx.query);
}
