import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../../modules/registry.js';
import { startTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { openApiPath } from './path-template.js';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
// Browser pages and the files behind them: served, but not operations of the API. (The queue
// board under /admin/queues is middleware, not a route, and is not listed either.)
const PAGES = [
  'GET /admin/login', 'GET /admin/login.js', 'GET /admin/login.css', 'POST /admin/session', 'POST /admin/logout',
  'GET /docs', 'GET /docs/swagger-initializer.js', 'GET /docs/{file}',
];

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform(allModules, { startEvents: false });
});
afterAll(async () => {
  await t?.close();
});

const documented = (paths: Record<string, Record<string, unknown>>) =>
  Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)).sort();

describe('GET /openapi.json', () => {
  it('serves the document the process was built with, to anyone', async () => {
    const res = await t.http.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(t.platform.http.document)));
    expect(res.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/' }], components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } });
  });

  it('passes redocly lint with the repository rules, without an error or a warning', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
    try {
      const file = join(folder, 'openapi.json');
      await writeFile(file, JSON.stringify(t.platform.http.document));
      const cli = join(REPOSITORY, 'node_modules/@redocly/cli/bin/cli.js');
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--config', join(REPOSITORY, 'redocly.yaml'), '--format', 'json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      });
      const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
      expect(report.problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);

  it('documents every route the app serves, and serves every operation it documents', () => {
    const served = t.platform.http.routes.map((route) => `${route.method} ${openApiPath(route.path)}`);
    expect(served.filter((route) => !PAGES.includes(route)).sort()).toEqual(documented(t.platform.http.document.paths as never));
    expect(PAGES.filter((page) => !served.includes(page))).toEqual([]);
  });

  it('names the main resources and the problem document as components', () => {
    const schemas = Object.keys(t.platform.http.document.components?.schemas ?? {});
    expect(schemas).toEqual(expect.arrayContaining(['ProductView', 'Order', 'Payment', 'PaymentMethod', 'Refund', 'Notification', 'UserProfile', 'Problem']));
  });

  it('describes only what a process hosts: the notification module alone, beside the kernel', async () => {
    const alone = await startTestPlatform(allModules.filter((module) => module.name === 'notification'), { catalog: allModules, startEvents: false });
    try {
      const paths = Object.keys(((await alone.http.get('/openapi.json')).body as { paths: object }).paths);
      expect(paths.filter((path) => path.startsWith('/api/'))).toEqual(['/api/v1/notifications']);
      expect(paths).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/openapi.json', '/admin/sagas']));
    } finally {
      await alone.close();
    }
  });
});

describe('GET /docs/', () => {
  it('serves the API reference from this origin, under the app\'s own CSP', async () => {
    const redirect = await fetch(`${t.http.baseUrl}/docs`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/docs/');

    const page = await t.http.get<string>('/docs/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(page.body).not.toMatch(/<script>|https?:\/\//);

    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toEqual(expect.arrayContaining(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-initializer.js']));
    for (const asset of assets) {
      const res = await fetch(`${t.http.baseUrl}/docs/${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    const initializer = await t.http.get<string>('/docs/swagger-initializer.js');
    expect(initializer.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(initializer.body).toContain('"/openapi.json"');
    expect(initializer.body).toContain('validatorUrl: null');
    expect((await t.http.get('/docs/package.json')).status).toBe(404);
  });
});
