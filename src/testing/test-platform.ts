import type { Server } from 'node:http';
import { inject } from 'vitest';
import { closeServer } from '../app/graceful-shutdown.js';
import type { ModuleDefinition } from '../app/module-definition.js';
import { createPlatform, listen, type Platform } from '../app/platform.js';
import { loadConfig, type Config } from '../config/config.js';
import { withDatabase } from '../db/database-url.js';
import { cloneDatabase, dropDatabase } from '../db/provision.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { HttpClient, type Exchange } from './http-client.js';
import { OpenApiConformance } from './openapi-conformance.js';
import { removeKeysUnder } from './redis-keys.js';
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

let extractedForThisFile: readonly string[] = [];

/**
 * Makes every test platform of this test file serve `modules` from an extracted service: a
 * second platform (role `service`) on the same database and Redis prefix, registered, with
 * the front door's routes sent `remote`. A module's contract suite imported after this call
 * then runs unchanged against its extracted service. (Module state is per test file.)
 * @example extractForThisFile(['product']); await import('./product-api.e2e.test.js')
 */
export function extractForThisFile(modules: readonly string[]): void {
  extractedForThisFile = modules;
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
  const server = await listen(platform, 0, '127.0.0.1');
  const extracted = await startExtracted(modules.filter((module) => extractedForThisFile.includes(module.name)), options.catalog ?? modules, config, log, platform, options.startEvents ?? true);
  const exchanges: Exchange[] = [];
  return {
    config, platform, server, exchanges,
    http: new HttpClient(urlOf(server), (exchange) => exchanges.push(exchange)),
    adminDatabaseUrl: config.DATABASE_URL,
    async close() {
      await extracted?.close();
      await closeServer(server, 1_000);
      await platform.close();
      await removeKeysUnder(config.REDIS_URL, redisPrefix).catch(() => undefined);
      await dropDatabase(serverUrl, database);
      // Every e2e file is also a contract test: an answer /openapi.json does not allow fails the file.
      const { violations } = new OpenApiConformance(platform.http.document).check(exchanges);
      if (violations.length > 0) throw new Error(`Answers that /openapi.json does not allow:\n${violations.join('\n')}`);
    },
  };
}

const urlOf = (server: Server): string => {
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
};

/** The extracted side of a test platform: the modules as one service, and the front door's routes sent to it. */
async function startExtracted(
  modules: readonly ModuleDefinition[], catalog: readonly ModuleDefinition[], config: Config, log: Logger, frontDoor: Platform, startEvents: boolean,
): Promise<{ close(): Promise<void> } | undefined> {
  if (modules.length === 0) return undefined;
  const serviceConfig = { ...config, SERVICE_NAME: `${modules.map((module) => module.name).join('-')}-service` };
  const service = createPlatform({ config: serviceConfig, log, modules, catalog, role: 'service' });
  if (startEvents) await service.start();
  const server = await listen(service, 0, '127.0.0.1');
  await service.announce(urlOf(server));
  // The front door's route table is running only when its platform started; read the change either way.
  for (const module of modules) await frontDoor.network.routes.change(module.name, { mode: 'remote' }, 'test');
  await frontDoor.network.routes.refresh();
  const probe = await fetch(`${urlOf(server)}/healthz`);
  if (probe.headers.get('x-served-by') !== serviceConfig.SERVICE_NAME) throw new Error('the extracted test service does not answer');
  return {
    async close() {
      await closeServer(server, 1_000);
      await service.close();
    },
  };
}
