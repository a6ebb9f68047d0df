import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import Koa from 'koa';
import helmet from 'koa-helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { correlation } from '../http/correlation.js';
import { problemResponses } from '../http/errors.js';
import { jsonBody } from '../http/json-body.js';
import { Unauthenticated } from '../http/problem.js';
import { readBody } from '../http/validate.js';
import { createLogger } from '../observability/logger.js';
import { AccessTokens, type Role } from '../security/access-tokens.js';
import { deleteRedisKeys } from '../testing/redis-keys.js';
import { adminSessionRoutes } from './admin-session.js';
import { queueBoard } from './queue-board.js';

const BASE = '/admin/queues';
const PASSWORD = 'correct horse battery staple';
// Stands in for the user module's login; the tokens it issues are real.
const ACCOUNTS: Record<string, { userId: string; role: Role }> = {
  'admin@example.test': { userId: '00000000-0000-7000-8000-000000000001', role: 'admin' },
  'customer@example.test': { userId: '00000000-0000-7000-8000-000000000002', role: 'customer' },
};
const LoginInput = z.strictObject({ email: z.string(), password: z.string() });

const prefix = `test-board-${process.pid}-${randomBytes(4).toString('hex')}`;
const tokens = new AccessTokens('board-test-secret-that-is-long-enough-0123456789', 900);
let redis: Redis;
let queues: Queue[];
let server: Server;
let baseUrl: string;

function buildApp(): Koa {
  const log = createLogger({ level: 'silent', pretty: false });
  const app = new Koa();
  app.silent = true;
  const stubUsers = new Router();
  stubUsers.post('/api/v1/auth/login', async (ctx) => {
    const { email, password } = readBody(ctx, LoginInput);
    const account = ACCOUNTS[email];
    if (!account || password !== PASSWORD) throw Unauthenticated('Email or password is wrong');
    ctx.body = await tokens.issue(account);
  });
  app.use(correlation(log));
  app.use(problemResponses(log));
  app.use(helmet());
  app.use(jsonBody('100kb'));
  app.use(adminSessionRoutes(tokens, { secureCookie: false }).routes());
  app.use(queueBoard({ basePath: BASE, queues: () => queues, tokens }));
  app.use(stubUsers.routes());
  return app;
}

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { redirect: 'manual', ...init });
}

async function tokenFor(email: string): Promise<string> {
  const response = await call('/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

async function sessionCookie(email: string): Promise<string> {
  const response = await call('/admin/session', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: await tokenFor(email) }),
  });
  expect(response.status).toBe(204);
  const setCookie = response.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0] ?? '';
}

interface BoardQueues {
  queues: { name: string; counts: Record<string, number>; isPaused: boolean }[];
}

beforeAll(async () => {
  redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  queues = ['emails', 'payments'].map((name) => new Queue(name, { connection: redis, prefix }));
  await queues[0]!.addBulk([{ name: 'welcome', data: { to: 'a@example.test' } }, { name: 'welcome', data: { to: 'b@example.test' } }]);
  await queues[1]!.add('capture', { orderId: 'o-1' }, { delay: 60_000 });
  server = buildApp().listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await Promise.all((queues ?? []).map((queue) => queue.close()));
  if (redis) {
    await deleteRedisKeys(redis, `${prefix}:*`);
    await redis.quit();
  }
});

describe('queue board without an admin', () => {
  it('sends a browser to the login page and gives an API client a 401 problem', async () => {
    const page = await call(`${BASE}/queue/emails?status=waiting`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent(`${BASE}/queue/emails?status=waiting`)}`);

    const api = await call(`${BASE}/api/queues`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect(await api.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('answers a forged or foreign token with 401 even from a browser when it came as a header', async () => {
    const forged = await new AccessTokens('some-other-secret-that-is-long-enough-000000', 900).issue({ userId: 'x', role: 'admin' });
    const response = await call(`${BASE}/`, { headers: { accept: 'text/html', authorization: `Bearer ${forged.accessToken}` } });
    expect(response.status).toBe(401);
  });

  it('refuses a customer, by Bearer token or by cookie', async () => {
    const token = await tokenFor('customer@example.test');
    const byHeader = await call(`${BASE}/api/queues`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(byHeader.status).toBe(403);
    expect(await byHeader.json()).toMatchObject({ status: 403, code: 'forbidden' });

    const byCookie = await call(`${BASE}/`, { headers: { accept: 'text/html', cookie: `admin_session=${token}` } });
    expect(byCookie.status).toBe(403);
    expect(byCookie.headers.get('content-type')).toContain('application/problem+json');

    const session = await call('/admin/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: token }) });
    expect(session.status).toBe(403);
    expect(session.headers.get('set-cookie')).toBeNull();
  });

  it('leaves paths outside the board alone', async () => {
    const response = await call('/admin/queuesque', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('admin session', () => {
  it('rejects a malformed body with 400 and a forged token with 401', async () => {
    const post = (body: string) => call('/admin/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const notJson = await post('{"accessToken":');
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toContain('application/problem+json');
    const extra = await post(JSON.stringify({ accessToken: 'a.b.c', role: 'admin' }));
    expect(extra.status).toBe(400);
    expect(await extra.json()).toMatchObject({ code: 'validation-failed' });

    const forged = await post(JSON.stringify({ accessToken: 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.' }));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'unauthenticated' });
  });

  it('clears the cookie on logout', async () => {
    const response = await call('/admin/logout', { method: 'POST' });
    expect(response.status).toBe(204);
    expect(response.headers.get('set-cookie')).toMatch(/^admin_session=; Path=\/admin; Max-Age=0; HttpOnly; SameSite=Strict/);
  });
});

describe('queue board for an admin in a browser', () => {
  it('logs in through the page, then serves the board, its assets and its API', async () => {
    const page = await call('/admin/login?next=%2Fadmin%2Fqueues%2F', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script src="/admin/login.js" defer></script>');
    expect(html).not.toMatch(/<script>|style=/);
    const script = await call('/admin/login.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain("postJson('/admin/session'");

    const session = await call('/admin/session', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: await tokenFor('admin@example.test') }),
    });
    expect(session.status).toBe(204);
    const setCookie = session.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^admin_session=[\w-]+\.[\w-]+\.[\w-]+; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin');
    expect(Number(/Max-Age=(\d+)/.exec(setCookie)?.[1])).toBeGreaterThan(890);
    const cookie = setCookie.split(';')[0]!;

    const board = await call(`${BASE}/`, { headers: { accept: 'text/html', cookie } });
    expect(board.status).toBe(200);
    const boardHtml = await board.text();
    expect(boardHtml).toContain(`<base href="${BASE}/"`);
    const assets = [...boardHtml.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const response = await call(`${BASE}/${asset}`, { headers: { cookie } });
      expect(response.status, asset).toBe(200);
      await response.arrayBuffer();
    }

    const api = await call(`${BASE}/api/queues`, { headers: { accept: 'application/json', cookie } });
    expect(api.status).toBe(200);
    const listed = (await api.json()) as BoardQueues;
    const counts = Object.fromEntries(listed.queues.map((queue) => [queue.name, queue.counts]));
    expect(counts).toMatchObject({ emails: { waiting: 2 }, payments: { delayed: 1 } });
  });

  it('runs bull-board write actions through the app body parser', async () => {
    const cookie = await sessionCookie('admin@example.test');
    const json = { accept: 'application/json', 'content-type': 'application/json', cookie };

    const added = await call(`${BASE}/api/queues/emails/add`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'reminder', data: { to: 'c@example.test' } }) });
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ job: { name: 'reminder', data: { to: 'c@example.test' } }, status: 'waiting' });
    expect(await queues[0]!.getWaitingCount()).toBe(3);

    // The UI sends its bodiless PUTs without a content type.
    const paused = await call(`${BASE}/api/queues/payments/pause`, { method: 'PUT', headers: { accept: 'application/json', cookie } });
    expect(paused.status).toBe(200);
    expect(await queues[1]!.isPaused()).toBe(true);
    const promoted = await call(`${BASE}/api/queues/payments/promote`, { method: 'PUT', headers: json, body: '{}' });
    expect(promoted.status).toBe(200);
    expect(await queues[1]!.getDelayedCount()).toBe(0);
  });

  it('answers an unknown board path with the app 404 problem', async () => {
    const cookie = await sessionCookie('admin@example.test');
    for (const path of [`${BASE}/static/missing.js`, `${BASE}/api/nothing-here`]) {
      const response = await call(path, { headers: { accept: 'application/json', cookie } });
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toContain('application/problem+json');
    }
  });

  it('shows queues created after start-up', async () => {
    const cookie = await sessionCookie('admin@example.test');
    const late = new Queue('late', { connection: redis, prefix });
    queues = [...queues, late];
    const api = await call(`${BASE}/api/queues`, { headers: { accept: 'application/json', cookie } });
    expect(((await api.json()) as BoardQueues).queues.map((queue) => queue.name).sort()).toEqual(['emails', 'late', 'payments']);
  });
});
