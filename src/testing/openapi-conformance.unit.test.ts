import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import Router from '@koa/router';
import { ApiCatalogue } from '../http/api/api-catalogue.js';
import { ApiRoutes } from '../http/api/api-routes.js';
import { openApiDocument } from '../http/api/openapi-document.js';
import { createGuards } from '../http/authenticate.js';
import { problemKind } from '../http/problem.js';
import { AccessTokens } from '../security/access-tokens.js';
import type { Exchange } from './http-client.js';
import { OpenApiConformance } from './openapi-conformance.js';

const NoSuchShow = problemKind(404, 'no-such-show', 'No such show');
const catalogue = new ApiCatalogue();
const api = new ApiRoutes(new Router(), createGuards(new AccessTokens('a-test-secret-of-at-least-32-characters!', 60)), catalogue);
api.route({
  operationId: 'readShow', method: 'get', path: '/shows/:id', summary: 'Read a show', tags: [], access: 'public',
  request: { params: z.strictObject({ id: z.string() }) },
  responses: { 200: { description: 'The show', body: z.object({ id: z.uuid(), title: z.string(), seats: z.number().int().nullable() }), headers: z.object({ ETag: z.string() }) } },
  problems: [NoSuchShow],
}).handle(() => { throw new Error('not served here'); });
const conformance = new OpenApiConformance(openApiDocument(catalogue, { title: 't', version: '1', description: 'd' }));

const show = { id: '0190a000-0000-7000-8000-000000000001', title: 'Hamlet', seats: 3 };
const exchange = (status: number, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json', etag: '"1"' }, path = `/shows/${show.id}`): Exchange =>
  ({ method: 'GET', path, status, headers: new Headers(headers), body });
const problem = { type: 'https://problems.commerce.dev/no-such-show', title: 'No such show', status: 404, instance: '/shows/x', code: 'no-such-show', correlationId: 'c1', extra: 1 };

describe('checking answers against the document', () => {
  it('accepts a documented answer, and a problem with members of its own', () => {
    const report = conformance.check([exchange(200, show), exchange(404, problem, { 'content-type': 'application/problem+json; charset=utf-8' })]);
    expect(report.violations).toEqual([]);
    expect([...report.exercised]).toEqual(['GET /shows/{id}']);
  });

  it.each([
    ['an undocumented status', exchange(418, show), /status 418 is not documented/],
    ['a field the document does not name', exchange(200, { ...show, secret: 'x' }), /must NOT have additional properties \(secret\)/],
    ['a wrong type', exchange(200, { ...show, seats: '3' }), /\/seats must be integer/],
    ['a bad format', exchange(200, { ...show, id: 'not-a-uuid' }), /\/id must match format "uuid"/],
    ['a missing required header', exchange(200, show, { 'content-type': 'application/json' }), /required header ETag missing/],
    ['an undocumented media type', exchange(404, problem), /media type application\/json is not documented/],
  ])('refuses %s', (_name, answer, message) => {
    expect(conformance.check([answer]).violations).toEqual([expect.stringMatching(message)]);
  });

  it('leaves paths the document does not describe to the tests that asked them', () => {
    expect(conformance.check([exchange(404, problem, { 'content-type': 'application/problem+json' }, '/nowhere')])).toMatchObject({ violations: [], exercised: new Set() });
  });
});
