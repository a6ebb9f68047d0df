import type { Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../observability/logger.js';
import { AccessTokens } from '../../security/access-tokens.js';
import { createGuards } from '../authenticate.js';
import { problemResponses } from '../errors.js';
import { jsonBody } from '../json-body.js';
import { problemKind } from '../problem.js';
import { ApiCatalogue } from './api-catalogue.js';
import { ApiRoutes } from './api-routes.js';
import { openApiDocument } from './openapi-document.js';

const TicketMissing = problemKind(400, 'ticket-missing', 'Ticket header required');
const SoldOut = problemKind(409, 'sold-out', 'Sold out');
const tokens = new AccessTokens('a-test-secret-of-at-least-32-characters!', 60);
const guards = createGuards(tokens);
const seen: unknown[] = [];

function declareShop(api: ApiRoutes): void {
  api.describeTag('shop', 'A shop that sells seats');
  api.route({
    operationId: 'buySeat', method: 'post', path: '/shows/:showId/seats', summary: 'Buy a seat', tags: ['shop'], access: 'user',
    request: {
      params: z.strictObject({ showId: z.string() }),
      headers: z.object({ 'X-Ticket': z.string().regex(/^T\d+$/) }),
      query: z.strictObject({ row: z.coerce.number().int().min(1).default(1) }),
      body: z.strictObject({ seats: z.number().int().min(1) }),
    },
    missingHeaders: { 'X-Ticket': () => TicketMissing('Send X-Ticket') },
    responses: { 201: { description: 'Bought', body: z.object({ show: z.string(), seats: z.number() }), headers: z.object({ Location: z.string() }) } },
    problems: [SoldOut],
  }).handle(({ params, headers, query, body, principal }) => {
    seen.push({ params, headers, query, body, user: principal.userId });
    if (body.seats > 9) throw SoldOut(`Only 9 seats in row ${query.row}`);
    return { status: 201, body: { show: params.showId, seats: body.seats }, headers: { Location: `/shows/${params.showId}/seats/1` } };
  });
  api.route({
    operationId: 'listShows', method: 'get', path: '/shows', summary: 'List shows', tags: ['shop'], access: 'public',
    responses: { 200: { description: 'Shows', body: z.object({ items: z.array(z.string()) }) } },
  }).handle(() => ({ status: 200, body: { items: ['Hamlet'] } }));
}

let server: Server;
let base: string;
let token: string;
const catalogue = new ApiCatalogue();

beforeAll(async () => {
  const router = new Router();
  const api = new ApiRoutes(router, guards, catalogue);
  declareShop(api);
  api.assertHandled();
  const app = new Koa();
  app.silent = true;
  app.use(problemResponses(createLogger({ level: 'silent', pretty: false })));
  app.use(jsonBody('10kb'));
  app.use(router.routes());
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  token = (await tokens.issue({ userId: '0190a000-0000-7000-8000-000000000001', role: 'customer' })).accessToken;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const buy = (body: unknown, headers: Record<string, string> = { 'x-ticket': 'T1' }, query = '') => fetch(`${base}/shows/hamlet/seats${query}`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body),
});

describe('an operation declared through ApiRoutes', () => {
  it('hands the handler its parsed input and the caller, and answers with the declared status and headers', async () => {
    seen.length = 0;
    const res = await buy({ seats: 2 }, { 'X-TICKET': 'T7' }, '?row=3');
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/shows/hamlet/seats/1');
    expect(await res.json()).toEqual({ show: 'hamlet', seats: 2 });
    expect(seen).toEqual([{ params: { showId: 'hamlet' }, headers: { 'X-Ticket': 'T7' }, query: { row: 3 }, body: { seats: 2 }, user: '0190a000-0000-7000-8000-000000000001' }]);
  });

  it('refuses an unknown field, a bad query and a malformed header with validation-failed', async () => {
    for (const res of [await buy({ seats: 2, vip: true }), await buy({ seats: 2 }, undefined, '?row=0'), await buy({ seats: 2 }, { 'x-ticket': 'nope' })]) {
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'validation-failed' });
    }
  });

  it('answers a missing header with the problem declared for it, before reading the body', async () => {
    const res = await buy({ seats: 'not even a number' }, {});
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'ticket-missing', detail: 'Send X-Ticket' });
  });

  it('runs the guard before any parsing', async () => {
    const res = await fetch(`${base}/shows/hamlet/seats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"junk":1}' });
    expect(res.status).toBe(401);
  });

  it('lets a problem of the use case through as it is', async () => {
    const res = await buy({ seats: 10 });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'sold-out' });
  });
});

describe('mistakes in a declaration fail at start', () => {
  const fresh = () => new ApiRoutes(new Router(), guards, new ApiCatalogue());
  const ok = { summary: 's', tags: [], access: 'public', responses: { 200: { description: 'd' } } } as const;

  it('a path parameter without a schema', () => {
    expect(() => fresh().route({ ...ok, operationId: 'a', method: 'get', path: '/a/:id' })).toThrow(/parameters \[id\]/);
  });

  it('two operations with one id, or one method and path', () => {
    const api = fresh();
    api.route({ ...ok, operationId: 'a', method: 'get', path: '/a' }).handle(() => ({ status: 200 }));
    expect(() => api.route({ ...ok, operationId: 'a', method: 'get', path: '/b' }).handle(() => ({ status: 200 }))).toThrow(/clashes/);
    expect(() => api.route({ ...ok, operationId: 'b', method: 'get', path: '/a' }).handle(() => ({ status: 200 }))).toThrow(/clashes/);
  });

  it('an operation never given its handler', () => {
    const api = fresh();
    api.route({ ...ok, operationId: 'forgotten', method: 'get', path: '/f' });
    expect(() => api.assertHandled()).toThrow(/forgotten/);
  });
});

describe('the document of the declared operations', () => {
  it('names each path parameter in OpenAPI form, and who may call', () => {
    const document = openApiDocument(catalogue, { title: 'Shop', version: '1', description: 'test' });
    expect(Object.keys(document.paths ?? {})).toEqual(['/shows/{showId}/seats', '/shows']);
    const buySeat = document.paths!['/shows/{showId}/seats']!.post!;
    expect(buySeat.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths!['/shows']!.get!.security).toEqual([]);
    expect(buySeat.parameters?.map((p) => ('name' in p ? `${p.in}:${p.name}:${p.required}` : ''))).toEqual(['path:showId:true', 'query:row:false', 'header:X-Ticket:true']);
  });

  it('lists every problem the operation can answer, with its code, as problem+json', () => {
    const document = openApiDocument(catalogue, { title: 'Shop', version: '1', description: 'test' });
    const responses = document.paths!['/shows/{showId}/seats']!.post!.responses as Record<string, { description: string; content?: Record<string, unknown> }>;
    expect(Object.keys(responses)).toEqual(['201', '400', '401', '409', '413', '415', '500']);
    expect(responses['400']!.description).toContain('`validation-failed`');
    expect(responses['409']!.description).toContain('`sold-out`');
    expect(Object.keys(responses['409']!.content!)).toEqual(['application/problem+json']);
    expect(document.tags).toEqual([{ name: 'shop', description: 'A shop that sells seats' }]);
  });
});
