import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePostgres } from './local-postgres.js';
import { isListening, isLocalServiceError, type LocalService } from './local-service.js';
import { ensureRedis, RedisServerMissingError } from './local-redis.js';
import { relocatedHome } from './postgres-placement.js';

const asRoot = process.getuid?.() === 0;

const tempDirs: string[] = [];
const started: LocalService[] = [];
const messages: string[] = [];
const log = (message: string): void => {
  messages.push(message);
};

// A failed assertion must not leave servers running or data lying around.
afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'local-services-'));
  tempDirs.push(dir);
  return dir;
}

function track(service: LocalService): LocalService {
  started.push(service);
  return service;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function withPg<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe('local dev services', () => {
  it('starts an embedded PostgreSQL when nothing answers and reuses its data on the next start', async () => {
    const dir = await tempDir();
    // As root the server runs as the "postgres" OS user, which must be able to reach the data dir.
    await chmod(dir, 0o755);
    const dataDir = path.join(dir, 'postgres');
    const port = await freePort();

    const first = track(await ensurePostgres({ url: undefined, dataDir, port, log, probeDefault: false }));
    expect(first.startedHere).toBe(true);
    expect(first.url).toContain(`:${port}/`);
    expect(messages).toContain(`starting embedded PostgreSQL in ${dataDir} on port ${port}`);
    await withPg(first.url, async (client) => {
      const { rows } = await client.query<{ version: string }>('SELECT version()');
      expect(rows[0]?.version).toContain('PostgreSQL');
      await client.query('CREATE TABLE survivor (note text)');
      await client.query(`INSERT INTO survivor VALUES ('still here')`);
    });
    await first.stop();
    expect(await isListening('127.0.0.1', port)).toBe(false);

    const second = track(await ensurePostgres({ url: undefined, dataDir, port, log, probeDefault: false }));
    expect(second.startedHere).toBe(true);
    const notes = await withPg(second.url, async (client) => (await client.query<{ note: string }>('SELECT note FROM survivor')).rows);
    expect(notes).toEqual([{ note: 'still here' }]);
    await second.stop();
    await second.stop(); // must be harmless

    expect(await isListening('127.0.0.1', port)).toBe(false);
  }, 60_000);

  it.runIf(asRoot)('as root, keeps the cluster of a folder the postgres user cannot enter in a per-project folder under the temp dir', async () => {
    // Like /root: mkdtemp makes the folder 0700, so the "postgres" user the server runs as cannot enter it.
    const privateDir = await tempDir();
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    const dataDir = path.join(privateDir, 'postgres');
    const home = relocatedHome(dataDir);
    tempDirs.push(home);
    const port = await freePort();

    const first = track(await ensurePostgres({ url: undefined, dataDir, port, log, probeDefault: false }));
    expect(first.dataDir).toBe(path.join(home, 'data'));
    expect(messages).toContain(`the postgres user that PostgreSQL runs as cannot reach ${dataDir}, so the embedded cluster lives in ${home}`);
    await withPg(first.url, async (client) => {
      await client.query('CREATE TABLE survivor (note text)');
      await client.query(`INSERT INTO survivor VALUES ('still here')`);
      const { rows } = await client.query<{ encoding: string }>('SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()');
      expect(rows[0]?.encoding).toBe('UTF8');
    });
    await first.stop();
    // Nobody but the server's account may read the data; everyone may read the binaries' folder.
    expect((await stat(path.join(home, 'data'))).mode & 0o777).toBe(0o700);
    expect((await stat(home)).mode & 0o777).toBe(0o755);

    const second = track(await ensurePostgres({ url: undefined, dataDir, port, log, probeDefault: false }));
    const notes = await withPg(second.url, async (client) => (await client.query<{ note: string }>('SELECT note FROM survivor')).rows);
    expect(notes).toEqual([{ note: 'still here' }]);
    await second.stop();
    expect(await isListening('127.0.0.1', port)).toBe(false);
  }, 90_000);

  it.runIf(asRoot)('as root, refuses a per-project folder that someone else could have planted', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const home = relocatedHome(dataDir);
    tempDirs.push(home);
    await mkdir(home);
    await chmod(home, 0o777); // writable by anyone: it could have been anybody's

    const error: unknown = await ensurePostgres({ url: undefined, dataDir, port: await freePort(), log, probeDefault: false }).catch((rejection: unknown) => rejection);

    expect(isLocalServiceError(error)).toBe(true);
    expect(error).toHaveProperty('message', `${home} exists but is not a folder that only root may change; remove it and start again.`);
  });

  it.runIf(asRoot)('as root, says in one sentence what to do when the postgres user can reach no folder at all', async () => {
    const dataDir = path.join(await tempDir(), 'postgres');
    const privateTemp = await tempDir(); // 0700, like a TMPDIR under /root
    const original = process.env.TMPDIR;
    process.env.TMPDIR = privateTemp;
    try {
      const error: unknown = await ensurePostgres({ url: undefined, dataDir, port: await freePort(), log, probeDefault: false }).catch((rejection: unknown) => rejection);

      expect(isLocalServiceError(error)).toBe(true);
      expect(error).toHaveProperty('message', expect.stringMatching(/can reach neither .* point TMPDIR at a folder it can enter, or run npm run dev as a normal user\.$/));
    } finally {
      if (original === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = original;
    }
  }, 30_000);

  it('starts a private redis-server when nothing answers', async () => {
    const dataDir = path.join(await tempDir(), 'redis');
    const port = await freePort();

    const service = track(await ensureRedis({ dataDir, port, log, probeDefault: false }));
    expect(service.startedHere).toBe(true);
    expect(service.url).toBe(`redis://127.0.0.1:${port}`);
    const client = new Redis(service.url, { maxRetriesPerRequest: 0 });
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');
    await client.quit();
    await service.stop();
    await service.stop(); // must be harmless

    expect(await isListening('127.0.0.1', port)).toBe(false);
  }, 30_000);

  it('says how to get Redis when no binary exists', async () => {
    const emptyDir = await tempDir();
    const port = await freePort();

    // PATH on this machine has a redis-server; an explicit searchPath must hide it.
    const error: unknown = await ensureRedis({
      dataDir: path.join(emptyDir, 'redis'),
      port,
      log,
      searchPath: [emptyDir],
      probeDefault: false,
    }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toBeInstanceOf(RedisServerMissingError);
    expect(error).toHaveProperty('message', expect.stringContaining('apt-get install redis-server'));
    expect(error).toHaveProperty('message', expect.stringContaining('docker compose up -d redis'));
  });

  it('an explicit DATABASE_URL that does not answer is an error naming it', async () => {
    const port = await freePort();
    const dataDir = path.join(await tempDir(), 'postgres');

    const attempt = ensurePostgres({ url: `postgres://postgres@127.0.0.1:${port}/x`, dataDir, port: 1, log });

    await expect(attempt).rejects.toThrow('DATABASE_URL');
    await expect(attempt).rejects.toThrow(`127.0.0.1:${port}`);
  });
});
