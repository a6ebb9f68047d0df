import type { Redis } from 'ioredis';

/** Keys matching `pattern`, a page at a time, with SCAN, never KEYS, so a shared Redis is not blocked. */
export async function* scanRedisKeys(redis: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** Deletes keys matching `pattern`. */
export async function deleteRedisKeys(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  for await (const keys of scanRedisKeys(redis, pattern)) deleted += await redis.unlink(...keys);
  return deleted;
}
