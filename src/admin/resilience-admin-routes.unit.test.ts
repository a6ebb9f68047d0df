import type { Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuards } from '../http/authenticate.js';
import { ApiCatalogue } from '../http/api/api-catalogue.js';
import { ApiRoutes } from '../http/api/api-routes.js';
import { openApiDocument } from '../http/api/openapi-document.js';
import { problemResponses } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { createLogger } from '../observability/logger.js';
import { FaultInjector } from '../resilience/fault-injection.js';
import { Resilience } from '../resilience/resilience.js';
import { AccessTokens } from '../security/access-tokens.js';
import { resilienceAdminRoutes } from './resilience-admin-routes.js';

const log = createLogger({ level: 'silent', pretty: false });
const tokens = new AccessTokens('a-test-secret-of-at-least-32-characters!', 60);
const catalogue = new ApiCatalogue();
let server: Server;
let base: string;
let admin: string;

function start(faults: FaultInjector): Resilience {
  const resilience = new Resilience({ log, faults });
  const router = new Router();
  const api = new ApiRoutes(router, createGuards(tokens), catalogue);
  resilienceAdminRoutes(api, resilience, faults);
  api.assertHandled();
  const app = new Koa();
  app.silent = true;
  app.use(problemResponses(log));
  app.use(jsonBody('10kb'));
  app.use(router.routes());
  server = app.listen(0, '127.0.0.1');
  return resilience;
}

const call = (method: string, path: string, body?: unknown) => fetch(`${base}${path}`, {
  method, headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

let resilience: Resilience;
beforeAll(async () => {
  resilience = start(new FaultInjector({ text: '{}' }));
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  admin = (await tokens.issue({ userId: '0190a000-0000-7000-8000-000000000001', role: 'admin' })).accessToken;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('resilience admin routes', () => {
  it('lists every dependency called so far, and lets an operator isolate and reset one', async () => {
    await resilience.dependency('module.product').execute(async () => 'answer', { idempotent: true });
    const listed = await (await call('GET', '/admin/resilience')).json() as { items: Array<Record<string, unknown>> };
    expect(listed.items).toEqual([expect.objectContaining({ dependency: 'module.product', circuit: 'closed', calls: expect.objectContaining({ succeeded: 1 }) })]);
    expect(await (await call('POST', '/admin/resilience/module.product/isolate')).json()).toMatchObject({ circuit: 'isolated' });
    expect(await (await call('POST', '/admin/resilience/module.product/reset')).json()).toMatchObject({ circuit: 'closed' });
    expect((await call('POST', '/admin/resilience/module.nothing/isolate')).status).toBe(404);
  });

  it('sets, lists and removes faults', async () => {
    const put = await call('PUT', '/admin/faults/module.product', { abortRatio: 0.5 });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ dependency: 'module.product', delayMs: 0, delayRatio: 0, abortRatio: 0.5, abortStatus: 503 });
    expect(await (await call('GET', '/admin/faults')).json()).toMatchObject({ enabled: true, items: [{ dependency: 'module.product' }] });
    expect((await call('PUT', '/admin/faults/module.product', { abortRatio: 2 })).status).toBe(400);
    expect((await call('DELETE', '/admin/faults/module.product')).status).toBe(204);
    expect(await (await call('GET', '/admin/faults')).json()).toEqual({ enabled: true, items: [] });
  });

  it('is for admins only', async () => {
    expect((await fetch(`${base}/admin/resilience`)).status).toBe(401);
  });

  it('documents its operations', () => {
    const document = openApiDocument(catalogue, { title: 'Admin', version: '1', description: 'test' });
    expect(Object.keys(document.paths ?? {})).toEqual([
      '/admin/resilience', '/admin/resilience/{dependency}/isolate', '/admin/resilience/{dependency}/reset', '/admin/faults', '/admin/faults/{dependency}',
    ]);
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(expect.arrayContaining(['DependencyResilience', 'Fault', 'FaultSpec']));
  });
});
