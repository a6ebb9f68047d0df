import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { withDatabase } from '../db/database-url.js';
import { cloneDatabase, dropDatabase } from '../db/provision.js';
import { removeKeysUnder } from './redis-keys.js';
import { testDatabaseName } from './test-database.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A private database (a clone of the migrated template) and Redis prefix that several processes share. */
export interface TestSite {
  env: Record<string, string>;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function provisionTestSite(): Promise<TestSite> {
  const serverUrl = inject('adminDatabaseUrl');
  const database = testDatabaseName(inject('testRunPid'), 'db');
  await cloneDatabase(serverUrl, inject('templateDatabase'), database);
  const redisPrefix = `test-${database}`;
  const databaseUrl = withDatabase(serverUrl, database);
  const env: Record<string, string> = {
    NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SERVICE_PORT: '0', LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl, REDIS_PREFIX: redisPrefix, DATABASE_POOL_MAX: '4',
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    RELAY_POLL_MS: '100', EVENT_BACKOFF_MS: '20',
  };
  return {
    env, databaseUrl,
    async close() {
      await removeKeysUnder(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', redisPrefix).catch(() => undefined);
      await dropDatabase(serverUrl, database);
    },
  };
}

/** A process of ours started by a test: the monolith or an extracted service. */
export interface RunningProcess {
  url: string;
  child: ChildProcess;
  /** everything it wrote so far (JSON log lines) */
  output(): string;
  /** SIGTERM, and waits until it has exited */
  stop(): Promise<void>;
}

/**
 * Starts `script` (relative to the repository, run with tsx, after `nodeOptions` such as
 * `--import ./src/observability/instrument.ts`) and resolves once it logs that it listens,
 * with the address it logged.
 * @example const monolith = await startProcess('scripts/start.ts', site.env)
 */
export function startProcess(script: string, env: Record<string, string>, nodeOptions: readonly string[] = []): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeOptions, script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  let listening = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not listen within 60 s:\n${output.slice(-2_000)}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (listening) return;
      const line = output.split('\n').find((text) => text.includes('"msg":"listening"') && text.endsWith('}'));
      if (line) {
        listening = true;
        clearTimeout(timer);
        resolve({
          url: (JSON.parse(line) as { url: string }).url.replace('localhost', '127.0.0.1'), child, output: () => output,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before listening:\n${output.slice(-2_000)}`));
    });
  });
}
