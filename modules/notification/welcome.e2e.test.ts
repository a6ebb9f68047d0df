import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';

let t: TestPlatform;

beforeAll(async () => { t = await startTestPlatform(allModules); });
afterAll(async () => { await t?.close(); });

describe('a new customer is welcomed', () => {
  it('sends one welcome email after registration, through outbox, relay, queue and inbox', async () => {
    const email = `welcome-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    await t.http.post('/api/v1/auth/register', { body: { email, password, firstName: 'Grace' } });
    const { body } = await t.http.post('/api/v1/auth/login', { body: { email, password } });
    const token = body.accessToken as string;

    const items = await eventually(async () => {
      const res = await t.http.get<{ items: { channel: string; recipient: string; subject: string; body: string; template: string; status: string }[] }>('/api/v1/notifications', { token });
      expect(res.body.items).toMatchObject([{ status: 'sent' }]);
      return res.body.items;
    });
    // No SMTP_URL here: the capture transport accepted it.
    expect(items[0]).toMatchObject({ channel: 'email', recipient: email, template: 'welcome' });
    expect(items[0]?.body).toContain('Hello Grace');
  });

  it('shows a customer only their own notifications', async () => {
    const admin = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
    const res = await t.http.get<{ items: { recipient: string }[] }>('/api/v1/notifications', { token: admin.body.accessToken as string });
    expect(res.status).toBe(200);
    expect(res.body.items.every((item) => item.recipient === t.config.ADMIN_EMAIL)).toBe(true);
  });
});
