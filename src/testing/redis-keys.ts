import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../events/redis-connection.js';

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
