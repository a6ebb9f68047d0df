import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { withDatabase } from '../src/db/database-url.js';
import { dropDatabase } from '../src/db/provision.js';
import { HttpClient } from '../src/testing/http-client.js';
import { deleteRedisKeys } from '../src/testing/redis-keys.js';
import { testDatabaseName } from '../src/testing/test-database.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const database = testDatabaseName(inject('testRunPid'), 'db');
const redisPrefix = `test-dev-${database}`;
const env = {
  ...process.env,
  DATABASE_URL: withDatabase(inject('adminDatabaseUrl'), database),
  REDIS_PREFIX: redisPrefix, PORT: '0', HOST: '127.0.0.1', LOG_PRETTY: 'false', LOG_LEVEL: 'info',
};

interface DevProcess { child: ChildProcessWithoutNullStreams; output: () => string; exit: Promise<number | null> }

function startDev(extraEnv: Record<string, string> = {}): DevProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], { cwd: ROOT, env: { ...env, ...extraEnv } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function readyUrl(dev: DevProcess): Promise<string> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const match = /\[dev\] ready on (http:\/\/\S+)/.exec(dev.output());
    if (match?.[1]) return match[1];
    if (dev.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`npm run dev did not become ready:\n${dev.output()}`);
}

afterAll(async () => {
  await dropDatabase(inject('adminDatabaseUrl'), database);
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  await deleteRedisKeys(redis, `${redisPrefix}*`);
  redis.disconnect();
});

describe('npm run dev', () => {
  it('creates everything, serves the API, survives a second start and stops on Ctrl-C', async () => {
    const first = startDev();
    const url = await readyUrl(first);
    expect(first.output()).toContain('admin@example.com / admin-dev-password');
    const http = new HttpClient(url.replace('localhost', '127.0.0.1'));
    const email = `dev-e2e-${Date.now()}@example.com`;
    expect((await http.post('/api/v1/auth/register', { body: { email, password: 'correct horse battery' } })).status).toBe(201);
    const login = await http.post('/api/v1/auth/login', { body: { email, password: 'correct horse battery' } });
    expect((await http.get('/api/v1/users/me', { token: login.body.accessToken as string })).body).toMatchObject({ email });
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);

    const second = startDev();
    const again = new HttpClient((await readyUrl(second)).replace('localhost', '127.0.0.1'));
    const admin = await again.post('/api/v1/auth/login', { body: { email: 'admin@example.com', password: 'admin-dev-password' } });
    const users = await again.get('/api/v1/users?limit=100', { token: admin.body.accessToken as string });
    const emails = (users.body.items as { email: string }[]).map((u) => u.email);
    expect(emails.filter((e) => e === 'admin@example.com')).toHaveLength(1);
    expect(emails).toContain(email);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);

    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM users.users WHERE email IN ('admin@example.com', 'customer@example.com')");
    await client.end();
    expect(rows[0].n).toBe(2);
  }, 120_000);

  it('refuses to start on a wrong variable and names it', async () => {
    const dev = startDev({ PORT: 'eighty' });
    expect(await dev.exit).toBe(1);
    expect(dev.output()).toMatch(/PORT: .*number/i);
  }, 30_000);
});
