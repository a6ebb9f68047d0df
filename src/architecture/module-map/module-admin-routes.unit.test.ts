import type { Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../../modules/registry.js';
import { moduleAdminRoutes, ModuleMapView } from '../../admin/module-admin-routes.js';
import { createGuards } from '../../http/authenticate.js';
import { ApiCatalogue } from '../../http/api/api-catalogue.js';
import { ApiRoutes } from '../../http/api/api-routes.js';
import { openApiDocument } from '../../http/api/openapi-document.js';
import { correlation } from '../../http/correlation.js';
import { problemResponses } from '../../http/errors.js';
import { createLogger } from '../../observability/logger.js';
import { localRoute, type ModuleRoute } from '../../proxy/module-route.js';
import { AccessTokens } from '../../security/access-tokens.js';
import { HttpClient, type Exchange } from '../../testing/http-client.js';
import { OpenApiConformance } from '../../testing/openapi-conformance.js';
import { moduleMapAtStartup, type StartupModuleMap } from './runtime-module-map.js';

/** `GET /admin/modules` (src/admin/module-admin-routes.ts) on a bare Koa app: no database, no platform. */

const log = createLogger({ level: 'silent', pretty: false });
const tokens = new AccessTokens('a-test-secret-of-at-least-32-characters!', 60);
const routes = new Map<string, ModuleRoute>();
const exchanges: Exchange[] = [];
const servers: Server[] = [];
let admin: string;
let customer: string;

async function serve(map: StartupModuleMap): Promise<{ http: HttpClient; catalogue: ApiCatalogue }> {
  const catalogue = new ApiCatalogue();
  const router = new Router();
  const api = new ApiRoutes(router, createGuards(tokens), catalogue);
  moduleAdminRoutes(api, { map, route: (module) => routes.get(module) ?? localRoute(module), hosted: new Set(['user', 'order']) });
  api.assertHandled();
  const app = new Koa();
  app.silent = true;
  app.use(correlation(log));
  app.use(problemResponses(log));
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return { http: new HttpClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`, (exchange) => exchanges.push(exchange)), catalogue };
}

let served: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  served = await serve(moduleMapAtStartup(allModules));
  admin = (await tokens.issue({ userId: '0190a000-0000-7000-8000-000000000001', role: 'admin' })).accessToken;
  customer = (await tokens.issue({ userId: '0190a000-0000-7000-8000-000000000002', role: 'customer' })).accessToken;
});
afterAll(() => Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))));

const document = () => openApiDocument(served.catalogue, { title: 't', version: '1', description: 'd' });

describe('GET /admin/modules', () => {
  it('serves the map with each module\'s live route and whether this process hosts it', async () => {
    const first = await served.http.get<ModuleMapView>('/admin/modules', { token: admin });
    expect(first.status).toBe(200);
    const body = first.body;
    // exactly the declared shape: parsing drops undeclared fields, so nothing may differ
    expect(ModuleMapView.parse(body)).toEqual(body);
    expect(body.modules.map((module) => [module.name, module.hostedHere, module.route.mode])).toEqual([
      ['notification', false, 'local'], ['order', true, 'local'], ['payment', false, 'local'], ['product', false, 'local'], ['user', true, 'local'],
    ]);
    expect(body.calls).toContainEqual(expect.objectContaining({ caller: 'order', callee: 'product', key: 'ProductCatalogApi' }));
    expect(body.codeFacts).toMatchObject({ current: true });

    routes.set('order', { ...localRoute('order'), mode: 'canary', canaryPercent: 10, revision: 3, updatedBy: 'admin:test', updatedAt: '2026-12-02T10:00:00.000Z' });
    const later = (await served.http.get<ModuleMapView>('/admin/modules', { token: admin })).body;
    expect(later.modules.find((module) => module.name === 'order')!.route).toMatchObject({ mode: 'canary', canaryPercent: 10, revision: 3 });
  });

  it('answers without the committed map too, with the calls unknown', async () => {
    const bare = await serve(moduleMapAtStartup(allModules, { committedMap: '/nonexistent/module-map.json' }));
    const answer = await bare.http.get<ModuleMapView>('/admin/modules', { token: admin });
    expect(answer.status).toBe(200);
    expect(answer.body.calls).toBeNull();
    expect(answer.body.codeFacts).toMatchObject({ source: null, current: false });
  });

  it('is for admins only', async () => {
    expect((await served.http.get('/admin/modules')).status).toBe(401);
    expect((await served.http.get('/admin/modules', { token: customer })).status).toBe(403);
  });

  it('is described in the OpenAPI document, and every answer above conforms to it', () => {
    expect(document().paths?.['/admin/modules']?.get).toMatchObject({ operationId: 'readModuleMap', tags: ['admin: modules'] });
    expect(Object.keys(document().components?.schemas ?? {})).toEqual(expect.arrayContaining(['ModuleMap', 'ModuleOverview']));
    const report = new OpenApiConformance(document()).check(exchanges);
    expect(report.violations).toEqual([]);
    expect(exchanges.map((exchange) => exchange.status).sort()).toEqual([200, 200, 200, 401, 403]);
  });
});
