import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';

let t: TestPlatform;
let db: pg.Pool;

const outboxRows = async (aggregateId?: string) =>
  (await db.query(`SELECT event_type, aggregate_id, aggregate_version, data, metadata FROM users.outbox ${aggregateId ? 'WHERE aggregate_id = $1' : ''} ORDER BY position`, aggregateId ? [aggregateId] : [])).rows;
const userCount = async () => Number((await db.query('SELECT count(*) FROM users.users')).rows[0].count);

let sequence = 0;
const newEmail = () => `shopper${++sequence}-${Date.now()}@example.com`;

async function registered(overrides: Record<string, unknown> = {}) {
  const email = newEmail();
  const password = 'correct horse battery';
  const res = await t.http.post('/api/v1/auth/register', { body: { email, password, firstName: 'Ada', ...overrides } });
  expect(res.status).toBe(201);
  const login = await t.http.post('/api/v1/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  return { id: res.body.id as string, email, password, token: login.body.accessToken as string };
}

function expectProblem(res: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, title: expect.any(String), type: expect.stringContaining(code) });
}

beforeAll(async () => {
  t = await startTestPlatform(allModules, { env: { LOGIN_MAX_ATTEMPTS: '5', LOGIN_WINDOW_SECONDS: '60' } });
  db = new pg.Pool({ connectionString: t.adminDatabaseUrl, max: 2 });
});

afterAll(async () => {
  await db?.end();
  await t?.close();
});

describe('a customer account', () => {
  it('registers, logs in and reads its own profile', async () => {
    const email = newEmail();
    const reg = await t.http.post('/api/v1/auth/register', { body: { email: email.toUpperCase(), password: 'correct horse battery', firstName: 'Ada', lastName: 'Lovelace' } });
    expect(reg.status).toBe(201);
    expect(reg.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email });

    const login = await t.http.post('/api/v1/auth/login', { body: { email, password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, accessToken: expect.any(String) });

    const me = await t.http.get('/api/v1/users/me', { token: login.body.accessToken as string });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: reg.body.id, email, role: 'customer', firstName: 'Ada', lastName: 'Lovelace', phone: null, address: null, preferences: { email: true, sms: false, push: false } });
    expect(me.body).not.toHaveProperty('passwordHash');
  });

  it('stores the password as an Argon2id hash, never in clear', async () => {
    const user = await registered();
    const { rows } = await db.query('SELECT password_hash FROM users.users WHERE id = $1', [user.id]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0].password_hash).not.toContain(user.password);
  });

  it('records UserRegistered in the same transaction as the account', async () => {
    const user = await registered({ lastName: 'Byron' });
    const events = await outboxRows(user.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: 'UserRegistered', aggregate_version: 1, data: { userId: user.id, email: user.email, role: 'customer', firstName: 'Ada', lastName: 'Byron' } });
    expect(events[0].metadata.correlationId).toEqual(expect.any(String));
  });

  it('updates the profile and preferences, raising UserProfileUpdated with the version', async () => {
    const user = await registered();
    const address = { line1: 'Main Street 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const patched = await t.http.patch('/api/v1/users/me', { token: user.token, body: { lastName: 'King', phone: '+4915112345678', address } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ lastName: 'King', phone: '+4915112345678', address });

    const prefs = await t.http.put('/api/v1/users/me/preferences', { token: user.token, body: { email: false, sms: true, push: true } });
    expect(prefs.status).toBe(200);
    expect(prefs.body).toEqual({ email: false, sms: true, push: true });

    const me = await t.http.get('/api/v1/users/me', { token: user.token });
    expect(me.body).toMatchObject({ lastName: 'King', address, preferences: { email: false, sms: true, push: true } });

    const events = await outboxRows(user.id);
    expect(events.map((e) => [e.event_type, e.aggregate_version])).toEqual([['UserRegistered', 1], ['UserProfileUpdated', 2], ['UserProfileUpdated', 3]]);
    expect(events[1].data.changed.sort()).toEqual(['address', 'lastName', 'phone']);
    expect(events[2].data).toMatchObject({ changed: ['preferences'], profile: { preferences: { email: false, sms: true, push: true } } });
  });

  it('takes a phone number written the usual ways and stores it in E.164', async () => {
    const user = await registered();
    const first = await t.http.patch('/api/v1/users/me', { token: user.token, body: { phone: '+44 20 7946 0000' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ phone: '+442079460000' });

    // The same number written otherwise is the same number: no change, no event.
    for (const phone of ['0044 20 7946 0000', '+44-20-7946-0000', '+44.20.7946.0000', '+44 (0)20 7946 0000', '+442079460000']) {
      const again = await t.http.patch('/api/v1/users/me', { token: user.token, body: { phone } });
      expect(again.status, phone).toBe(200);
      expect(again.body, phone).toMatchObject({ phone: '+442079460000' });
    }
    expect((await outboxRows(user.id)).map((e) => e.event_type)).toEqual(['UserRegistered', 'UserProfileUpdated']);
    const { rows } = await db.query('SELECT phone FROM users.users WHERE id = $1', [user.id]);
    expect(rows[0].phone).toBe('+442079460000');
  });

  it('reads a national number with the country of the address, and asks for the international form without one', async () => {
    const user = await registered();
    const alone = await t.http.patch('/api/v1/users/me', { token: user.token, body: { phone: '020 7946 0000' } });
    expectProblem(alone, 400, 'validation-failed');
    expect(alone.body.detail).toMatch(/^phone: .*international form/);
    expect(alone.body.errors).toEqual([expect.objectContaining({ path: 'phone', code: 'phone_number_needs_country' })]);

    const london = { line1: '1 Main Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' };
    const withAddress = await t.http.patch('/api/v1/users/me', { token: user.token, body: { phone: '020 7946 0000', address: london } });
    expect(withAddress.status).toBe(200);
    expect(withAddress.body).toMatchObject({ phone: '+442079460000', address: london });

    // Later patches use the stored address.
    const mobile = await t.http.patch('/api/v1/users/me', { token: user.token, body: { phone: '07911 123456' } });
    expect(mobile.status).toBe(200);
    expect(mobile.body).toMatchObject({ phone: '+447911123456' });
  });

  it.each([
    ['too short', '+44 20 7946 000'],
    ['an unknown country code', '+999 1234567'],
    ['letters', '+44 20 7946 ABCD'],
    ['an extension', '+44 20 7946 0000 ext. 12'],
  ])('refuses a phone number with %s, naming the field', async (_name, phone) => {
    const user = await registered();
    const res = await t.http.patch('/api/v1/users/me', { token: user.token, body: { phone } });
    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'phone', code: 'invalid_phone_number' })]);
    expect((await t.http.get('/api/v1/users/me', { token: user.token })).body).toMatchObject({ phone: null });
    expect(await outboxRows(user.id)).toHaveLength(1);
  });

  it('raises no event for a patch that changes nothing', async () => {
    const user = await registered();
    const res = await t.http.patch('/api/v1/users/me', { token: user.token, body: { firstName: 'Ada' } });
    expect(res.status).toBe(200);
    expect(await outboxRows(user.id)).toHaveLength(1);
  });

  it('echoes the caller\'s x-request-id and stamps it on the event', async () => {
    const email = newEmail();
    const res = await t.http.post('/api/v1/auth/register', { body: { email, password: 'correct horse battery' }, headers: { 'x-request-id': 'trace-me-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
    const events = await outboxRows(res.body.id as string);
    expect(events[0].metadata.correlationId).toBe('trace-me-123');
    const generated = await t.http.get('/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('bad input is a problem+json 4xx that changes nothing', () => {
  it('rejects a duplicate email with 409, whatever its case, and writes no second event', async () => {
    const user = await registered();
    const before = { users: await userCount(), events: (await outboxRows()).length };
    const res = await t.http.post('/api/v1/auth/register', { body: { email: user.email.toUpperCase(), password: 'another password 1' } });
    expectProblem(res, 409, 'email-already-registered');
    expect({ users: await userCount(), events: (await outboxRows()).length }).toEqual(before);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"email": "a@b.c", ' }, 'bad-request'],
    ['a wrong type', { body: { email: 'x@example.com', password: 1234567890123 } }, 'validation-failed'],
    ['an unknown field', { body: { email: 'y@example.com', password: 'long enough pass', isAdmin: true } }, 'validation-failed'],
    ['a missing field', { body: { email: 'z@example.com' } }, 'validation-failed'],
    ['an invalid email', { body: { email: 'not-an-email', password: 'long enough pass' } }, 'validation-failed'],
    ['a short password', { body: { email: 'w@example.com', password: 'short' } }, 'validation-failed'],
    ['an empty body', { rawBody: '' }, 'validation-failed'],
    ['a JSON array', { body: [1, 2] }, 'validation-failed'],
  ])('registration with %s → 400', async (_name, options, code) => {
    const before = await userCount();
    const res = await t.http.post('/api/v1/auth/register', options);
    expectProblem(res, 400, code);
    expect(await userCount()).toBe(before);
  });

  it('names the offending field', async () => {
    const res = await t.http.post('/api/v1/auth/register', { body: { email: 'q@example.com', password: 'long enough pass', role: 'admin' } });
    expect(res.body.detail).toMatch(/role|unrecognized/i);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'unrecognized_keys' })]));
  });

  it('rejects a body over the limit with 413', async () => {
    const res = await t.http.post('/api/v1/auth/register', { body: { email: 'big@example.com', password: 'x'.repeat(200_000) } });
    expectProblem(res, 413, 'payload-too-large');
  });

  it('rejects a non-JSON media type with 415', async () => {
    const res = await t.http.post('/api/v1/auth/register', { rawBody: 'email=a@b.c', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const user = await registered();
    const wrong = await t.http.post('/api/v1/auth/login', { body: { email: user.email, password: 'not the password' } });
    const unknown = await t.http.post('/api/v1/auth/login', { body: { email: `nobody-${Date.now()}@example.com`, password: 'not the password' } });
    expectProblem(wrong, 401, 'invalid-credentials');
    expectProblem(unknown, 401, 'invalid-credentials');
    expect(wrong.headers.get('cache-control')).toBe('no-store');
    const strip = (body: Record<string, unknown>) => ({ ...body, correlationId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });

  it.each([
    ['no token', {}],
    ['a malformed header', { headers: { authorization: 'Token abc' } }],
    ['a forged token', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJl' }],
    ['an unsigned token', { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIiwiaXNzIjoiY29tbWVyY2UiLCJhdWQiOiJjb21tZXJjZS1hcGkifQ.' }],
  ])('GET /users/me with %s → 401', async (_name, options) => {
    const res = await t.http.get('/api/v1/users/me', options);
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('rejects an expired token with 401 saying so', async () => {
    const { AccessTokens } = await import('../../src/security/access-tokens.js');
    const past = new AccessTokens(t.config.JWT_SECRET, 60, () => new Date(Date.now() - 3_600_000));
    const { accessToken } = await past.issue({ userId: '0190a000-0000-7000-8000-000000000000', role: 'customer' });
    const res = await t.http.get('/api/v1/users/me', { token: accessToken });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.body.detail).toMatch(/expired/);
  });

  it('forbids a customer an admin route with 403 and lets the admin in', async () => {
    const user = await registered();
    expectProblem(await t.http.get('/api/v1/users', { token: user.token }), 403, 'forbidden');
    const admin = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
    const list = await t.http.get('/api/v1/users?limit=100', { token: admin.body.accessToken as string });
    expect(list.status).toBe(200);
    expect((list.body.items as { email: string }[]).map((u) => u.email)).toContain(user.email);
  });

  it('rejects invalid profile changes without changing the profile', async () => {
    const user = await registered();
    for (const body of [{ phone: '12345' }, { address: { line1: 'x' } }, { email: 'new@example.com' }, {}]) {
      expectProblem(await t.http.patch('/api/v1/users/me', { token: user.token, body }), 400, 'validation-failed');
    }
    expectProblem(await t.http.put('/api/v1/users/me/preferences', { token: user.token, body: { email: 'yes', sms: false, push: false } }), 400, 'validation-failed');
    expect(await outboxRows(user.id)).toHaveLength(1);
  });

  it('answers an unknown route with a 404 problem and a wrong method with 405', async () => {
    expectProblem(await t.http.get('/api/v1/nothing-here'), 404, 'not-found');
    expectProblem(await t.http.request('DELETE', '/api/v1/auth/login'), 405, 'method-not-allowed');
  });
});

describe('login throttling', () => {
  it('answers 429 with Retry-After once an email and address used up their attempts', async () => {
    const user = await registered();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await t.http.post('/api/v1/auth/login', { body: { email: user.email, password: 'wrong password' } })).status).toBe(401);
    }
    const throttled = await t.http.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    expectProblem(throttled, 429, 'login-throttled');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same address is not affected.
    const other = await registered();
    expect(other.token).toEqual(expect.any(String));
  });
});

describe('the platform around the modules', () => {
  it('is alive and ready when PostgreSQL and Redis answer', async () => {
    expect((await t.http.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('sends security headers', async () => {
    const res = await t.http.get('/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
