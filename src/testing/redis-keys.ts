import { Cluster, type Redis } from 'ioredis';
import { connectRedis, type RedisClient } from '../events/redis-connection.js';

/**
 * Keys matching `pattern`, a page at a time, with SCAN, never KEYS, so a shared Redis is not blocked.
 * On a cluster every master is scanned: each holds only the keys of its own slots.
 */
export async function* scanRedisKeys(redis: RedisClient, pattern: string): AsyncGenerator<string[]> {
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) yield* scanNode(node, pattern);
}

async function* scanNode(node: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** Deletes keys matching `pattern`. */
export async function deleteRedisKeys(redis: RedisClient, pattern: string): Promise<number> {
  let deleted = 0;
  for await (const keys of scanRedisKeys(redis, pattern)) {
    // A cluster refuses one UNLINK over keys of different slots: there each key goes alone (to its master).
    if (redis instanceof Cluster) deleted += (await Promise.all(keys.map((key) => redis.unlink(key)))).reduce((sum, n) => sum + n, 0);
    else deleted += await redis.unlink(...keys);
  }
  return deleted;
}

/**
 * Deletes every key of a REDIS_PREFIX (`<prefix>:…`, not those of a longer prefix that starts
 * alike) over a connection of its own, made and closed here. For clean-up once the platform
 * that used the keys has closed: a platform still running can write keys again (a queue's
 * meta, a saga's wake-up job) after they were deleted.
 */
export async function removeKeysUnder(redisUrl: string, prefix: string): Promise<void> {
  const redis = connectRedis(redisUrl);
  try {
    await deleteRedisKeys(redis, `${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}
