import type { Context } from 'koa';
import type { z } from 'zod';

/**
 * Parses the JSON body against a schema; a failure becomes a 400 problem naming each field.
 * For pages outside the API document (the admin sign-in); API operations declare their
 * schemas with ApiRoutes instead (src/http/api/), which parses them before the handler runs.
 * @example const input = readBody(ctx, SessionInput)
 */
export function readBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return schema.parse(ctx.request.body ?? {});
}
