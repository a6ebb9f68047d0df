/** A node a cluster client starts from; it learns the others from it. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where Redis is, as `REDIS_URL` says: one server (`redis://`, `rediss://` with TLS), or a
 * Redis Cluster given by some of its nodes (`redis+cluster://`, `rediss+cluster://`).
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[]; username?: string; password?: string; tls: boolean };

export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

const DEFAULT_PORT = 6379;
/** `redis+cluster://[user:password@]host:port[,host:port…][/0]`: several hosts, so not a WHATWG URL. */
const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^@/?#]+)(\/[^?#]*)?$/;
const FORMS = 'a redis://, rediss://, redis+cluster:// or rediss+cluster:// URL';

/**
 * Reads `REDIS_URL`. Errors never repeat the value: it may hold a password.
 * @example parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7000') // { kind: 'cluster', nodes: [2 nodes], tls: false }
 */
export function parseRedisUrl(value: string): RedisTarget {
  const cluster = CLUSTER_URL.exec(value);
  if (cluster) return clusterTarget(cluster[1] as 'redis' | 'rediss', cluster[2], cluster[3]!, cluster[4]);
  if (/^rediss?\+cluster:/.test(value)) throw new RedisUrlError('a cluster URL is redis+cluster://[user:password@]host:port[,host:port…]');
  if (!URL.canParse(value)) throw new RedisUrlError(FORMS);
  const url = new URL(value);
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') throw new RedisUrlError(FORMS);
  return { kind: 'server', url: value };
}

function clusterTarget(scheme: 'redis' | 'rediss', userInfo: string | undefined, hosts: string, path: string | undefined): RedisTarget {
  // A cluster has database 0 only; SELECT is refused there, so another number would fail later and less clearly.
  if (path !== undefined && path !== '/' && path !== '/0') throw new RedisUrlError('a Redis Cluster has database 0 only: leave the path out');
  const nodes = hosts.split(',').map((host) => clusterNode(host.trim()));
  const credentials = userInfo === undefined ? {} : parseUserInfo(userInfo);
  return { kind: 'cluster', nodes, ...credentials, tls: scheme === 'rediss' };
}

function clusterNode(host: string): RedisNode {
  // The pattern above already keeps '/', '?', '#' and '@' out of a node; the URL parser checks the rest (port range, IPv6).
  if (host === '' || !URL.canParse(`redis://${host}`)) throw new RedisUrlError('each cluster node is host:port, separated by commas');
  const url = new URL(`redis://${host}`);
  // ioredis wants an IPv6 address without its brackets.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? DEFAULT_PORT : Number(url.port) };
}

function parseUserInfo(userInfo: string): { username?: string; password?: string } {
  const colon = userInfo.indexOf(':');
  const [user, password] = colon === -1 ? [userInfo, undefined] : [userInfo.slice(0, colon), userInfo.slice(colon + 1)];
  try {
    return {
      ...(user ? { username: decodeURIComponent(user) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
    };
  } catch {
    throw new RedisUrlError('the user or password of the cluster URL is not percent-encoded properly');
  }
}
