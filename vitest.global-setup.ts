/**
 * Migrates and seeds one template database per test run; every test file then clones
 * it (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 */
import type { TestProject } from 'vitest/node';
import { createPlatform } from './src/app/platform.js';
import { prepareDatabase } from './src/app/prepare-database.js';
import { loadConfig } from './src/config/config.js';
import { withDatabase } from './src/db/database-url.js';
import { dropDatabase } from './src/db/provision.js';
import { createLogger } from './src/observability/logger.js';
import { removeKeysUnder } from './src/testing/redis-keys.js';
import { dropDatabasesOfDeadRuns, testDatabaseName } from './src/testing/test-database.js';
import { allModules } from './modules/registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
    testRunPid: number;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  await dropDatabasesOfDeadRuns(adminUrl);
  const template = testDatabaseName(process.pid, 'tpl');
  const config = loadConfig({
    NODE_ENV: 'test', DATABASE_URL: withDatabase(adminUrl, template), REDIS_URL: process.env.TEST_REDIS_URL,
    REDIS_PREFIX: `test-template-${process.pid}`, LOG_LEVEL: 'warn',
  });
  const log = createLogger({ level: 'warn', pretty: false });
  await prepareDatabase(config, allModules, log);
  const platform = createPlatform({ config, log, modules: allModules });
  await platform.seed({ demoData: false });
  await platform.close();
  // The platform made its queues under this prefix; test files use prefixes of their own.
  await removeKeysUnder(config.REDIS_URL, config.REDIS_PREFIX);

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('testRunPid', process.pid);
  return async () => {
    await dropDatabase(adminUrl, template);
  };
}
