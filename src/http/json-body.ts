import type { Middleware } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import compose from 'koa-compose';
import { UnsupportedMediaType } from './problem.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * JSON is the only body this API speaks: any other media type is a 415 and a body
 * over `limit` a 413, both before any handler runs.
 */
export function jsonBody(limit: string): Middleware {
  const requireJson: Middleware = async (ctx, next) => {
    if (METHODS_WITH_BODY.has(ctx.method) && ctx.request.length !== 0 && ctx.request.type !== '' && !ctx.is('application/json', 'application/*+json')) {
      throw UnsupportedMediaType(`Send application/json, not ${ctx.request.type}`);
    }
    await next();
  };
  return compose([requireJson, bodyParser({ enableTypes: ['json'], jsonLimit: limit, jsonStrict: true, encoding: 'utf-8' }) as Middleware]);
}
