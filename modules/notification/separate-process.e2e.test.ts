import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';

/**
 * The same module code hosted apart: one platform hosts only `user`, another only
 * `notification`, each on a database of its own, sharing nothing but Redis.
 */
let users: TestPlatform;
let notifications: TestPlatform;

beforeAll(async () => {
  const only = (name: string) => allModules.filter((module) => module.name === name);
  users = await startTestPlatform(only('user'), { catalog: allModules });
  notifications = await startTestPlatform(only('notification'), { catalog: allModules, env: { REDIS_PREFIX: users.config.REDIS_PREFIX } });
});
afterAll(async () => {
  await notifications?.close();
  await users?.close();
});

describe('a module hosted in another process', () => {
  it('receives the events of a module it does not share a process or a database with', async () => {
    const email = `apart-${Date.now()}@example.com`;
    await users.http.post('/api/v1/auth/register', { body: { email, password: 'correct horse battery', firstName: 'Ada' } });
    const login = await users.http.post('/api/v1/auth/login', { body: { email, password: 'correct horse battery' } });

    const items = await eventually(async () => {
      const res = await notifications.http.get<{ items: { recipient: string; template: string }[] }>('/api/v1/notifications', { token: login.body.accessToken as string });
      expect(res.body.items).toHaveLength(1);
      return res.body.items;
    });
    expect(items[0]).toMatchObject({ recipient: email, template: 'welcome' });
  });

  it('serves only the routes of the modules it hosts; the others it would forward, and says so while no service of theirs runs', async () => {
    const login = await notifications.http.post('/api/v1/auth/login', { body: { email: 'a@b.co', password: 'x' } });
    expect(login.status).toBe(503);
    expect(login.body).toMatchObject({ code: 'upstream-unavailable' });
    const inbox = await users.http.get('/api/v1/notifications');
    expect(inbox.status).toBe(503);
    expect(inbox.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
