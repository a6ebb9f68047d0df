import { Cluster, Redis } from 'ioredis';
import { parseRedisUrl } from '../config/redis-url.js';

/** A connection to Redis: one server, or a whole Redis Cluster behind one client. */
export type RedisClient = Redis | Cluster;

/** What callers tune; each means the same on a server and on a cluster. */
export interface RedisConnectionOptions {
  /** `null` for BullMQ workers: their blocking commands must wait for a reconnect, not fail */
  maxRetriesPerRequest?: number | null;
  /** false: a command while disconnected fails at once instead of waiting in memory */
  enableOfflineQueue?: boolean;
  lazyConnect?: boolean;
  connectTimeout?: number;
}

/**
 * The one way this code base opens Redis, so that `REDIS_URL` may name a single server or
 * a Redis Cluster (`redis+cluster://host:port,host:port…`) and every connection follows.
 *
 * On a cluster the client starts from the given nodes and learns the rest of the topology
 * from them; commands go to the master that owns their key's slot. Keys that one command or
 * Lua script touches together must share a hash tag (see `hashTagged`).
 * @example const redis = connectRedis(config.REDIS_URL, { maxRetriesPerRequest: null })
 */
export function connectRedis(url: string, options: RedisConnectionOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'server') return new Redis(url, options);
  const { enableOfflineQueue, lazyConnect, ...perNode } = options;
  return new Cluster(target.nodes, {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    // BullMQ reads maxRetriesPerRequest of a cluster here, on the options of its node connections.
    redisOptions: {
      ...perNode,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}
