import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { allModules } from '../../modules/registry.js';

let t: TestPlatform;
let adminToken: string;

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  const login = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
  adminToken = login.body.accessToken as string;
});
afterAll(async () => { await t?.close(); });

describe('the admin surface of the monolith', () => {
  it('shows every consuming module\'s queue on the board, for an admin signed in from a browser', async () => {
    const session = await t.http.post('/admin/session', { body: { accessToken: adminToken } });
    expect(session.status).toBe(204);
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await t.http.get('/admin/queues/', { headers: { cookie, accept: 'text/html' } });
    expect(page.status).toBe(200);
    const api = await t.http.get<{ queues: { name: string }[] }>('/admin/queues/api/queues', { headers: { cookie } });
    expect(api.body.queues.map((queue) => queue.name)).toContain('{notification-events}');
  });

  it('sends a browser without a session to the login page', async () => {
    const res = await fetch(`${t.http.baseUrl}/admin/queues/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/admin\/login\?next=/);
  });

  it('reports backlog and publish lag per module', async () => {
    const stats = await t.http.get<{ backlog: Record<string, number>; modules: Record<string, unknown> }>('/admin/events/stats', { token: adminToken });
    expect(stats.status).toBe(200);
    expect(Object.keys(stats.body.backlog).sort()).toEqual(allModules.map((module) => module.name).sort());
  });

  it('keeps the event admin API to admins and validates its input', async () => {
    const customer = await t.http.post('/api/v1/auth/register', { body: { email: `c-${Date.now()}@example.com`, password: 'correct horse battery' } });
    expect(customer.status).toBe(201);
    expect((await t.http.get('/admin/events/dead-letters')).status).toBe(401);
    const bad = await t.http.post('/admin/events/dead-letters/replay', { token: adminToken, body: { eventIds: ['not-a-uuid'] } });
    expect(bad.status).toBe(400);
    expect((await t.http.get('/admin/events/trace', { token: adminToken })).status).toBe(400);
  });
});
