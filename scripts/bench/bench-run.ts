import type { RedisClient } from '../../src/events/redis-connection.js';
import { deleteRedisKeys, scanRedisKeys } from '../../src/testing/redis-keys.js';
import { dropDatabasesOfDeadRuns, isRunAlive } from '../../src/testing/test-database.js';

/** Every benchmark's databases and Redis keys carry these prefixes and its process id. */
export const BENCH_DATABASE_PREFIX = 'cm_bench_';
export const BENCH_REDIS_PREFIX = 'bench-';

/** Benchmarks run in production mode, which refuses development secrets: these are for benchmarks only. */
export const BENCH_SECRETS = {
  JWT_SECRET: 'bench-only-jwt-secret-0123456789abcdef',
  INTERNAL_TOKEN_SECRET: 'bench-only-internal-secret-0123456789ab',
  DATABASE_ROLE_SECRET: 'bench-only-role-secret',
  ADMIN_PASSWORD: 'bench-only-admin',
  PAYMENT_ENCRYPTION_KEY: 'bench-1:YmVuY2gtb25seS1wYXltZW50LWtleS0zMi1ieXRlcyE=',
} as const;

/** A bench stopped with Ctrl-C or kill -9 leaves its databases and queues behind; the next run removes them. */
export async function removeWhatKilledRunsLeft(serverUrl: string, redis: RedisClient): Promise<void> {
  await dropDatabasesOfDeadRuns(serverUrl, BENCH_DATABASE_PREFIX);
  const deadRuns = new Set<number>();
  for await (const keys of scanRedisKeys(redis, `${BENCH_REDIS_PREFIX}*`)) {
    for (const key of keys) {
      const pid = Number(key.slice(BENCH_REDIS_PREFIX.length).split(':')[0]);
      if (Number.isInteger(pid) && !isRunAlive(pid)) deadRuns.add(pid);
    }
  }
  for (const pid of deadRuns) await deleteRedisKeys(redis, `${BENCH_REDIS_PREFIX}${pid}:*`);
}
