import type { Server } from 'node:http';
import { inject } from 'vitest';
import { closeServer } from '../app/graceful-shutdown.js';
import type { ModuleDefinition } from '../app/module-definition.js';
import { createPlatform, listen, type Platform } from '../app/platform.js';
import { loadConfig, type Config } from '../config/config.js';
import { withDatabase } from '../db/database-url.js';
import { cloneDatabase, dropDatabase } from '../db/provision.js';
import { createLogger } from '../observability/logger.js';
import { HttpClient, type Exchange } from './http-client.js';
import { OpenApiConformance } from './openapi-conformance.js';
import { deleteRedisKeys } from './redis-keys.js';
import { testDatabaseName } from './test-database.js';

export interface TestPlatform {
  config: Config;
  platform: Platform;
  server: Server;
  http: HttpClient;
  /** every request `http` made and its answer, for checking answers against the OpenAPI document */
  exchanges: Exchange[];
  /** superuser URL of this file's own database, for assertions below the API */
  adminDatabaseUrl: string;
  close(): Promise<void>;
}

export interface TestPlatformOptions {
  env?: Record<string, string>;
  /** every module of the system when only some are hosted here */
  catalog?: readonly ModuleDefinition[];
  /** start relays and consumers (default true) */
  startEvents?: boolean;
  afterEnqueue?: (events: number) => Promise<void>;
}

/**
 * Hosts `modules` in-process on a random port, on a private clone of the migrated
 * template database and a private Redis key prefix, so test files can run in parallel.
 * `close()` checks every answer `http` received against the platform's OpenAPI document.
 * @example const t = await startTestPlatform(allModules); afterAll(() => t.close())
 */
export async function startTestPlatform(modules: readonly ModuleDefinition[], options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const serverUrl = inject('adminDatabaseUrl');
  const database = testDatabaseName(inject('testRunPid'), 'db');
  await cloneDatabase(serverUrl, inject('templateDatabase'), database);
  const redisPrefix = `test-${database}`;
  const config = loadConfig({
    NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: withDatabase(serverUrl, database), REDIS_URL: process.env.TEST_REDIS_URL, REDIS_PREFIX: redisPrefix,
    // Fast re-drives and polling keep asynchronous tests short.
    // Small pools: test files run side by side against one server with 100 connections.
    DATABASE_POOL_MAX: '5',
    RELAY_POLL_MS: '100', DEAD_LETTER_SCAN_MS: '200', DEAD_LETTER_REDRIVE_DELAY_MS: '200', EVENT_BACKOFF_MS: '20',
    ...options.env,
  });
  const log = createLogger({ level: config.LOG_LEVEL, pretty: false });
  const platform = createPlatform({
    config, log, modules, ...(options.catalog ? { catalog: options.catalog } : {}),
    ...(options.afterEnqueue ? { afterEnqueue: options.afterEnqueue } : {}),
  });
  if (options.startEvents ?? true) await platform.start();
  const server = await listen(platform.app, 0, '127.0.0.1');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const exchanges: Exchange[] = [];
  return {
    config, platform, server, exchanges,
    http: new HttpClient(`http://127.0.0.1:${port}`, (exchange) => exchanges.push(exchange)),
    adminDatabaseUrl: config.DATABASE_URL,
    async close() {
      await closeServer(server, 1_000);
      await deleteRedisKeys(platform.redis, `${redisPrefix}*`).catch(() => undefined);
      await platform.close();
      await dropDatabase(serverUrl, database);
      // Every e2e file is also a contract test: an answer /openapi.json does not allow fails the file.
      const { violations } = new OpenApiConformance(platform.http.document).check(exchanges);
      if (violations.length > 0) throw new Error(`Answers that /openapi.json does not allow:\n${violations.join('\n')}`);
    },
  };
}
