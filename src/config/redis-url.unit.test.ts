import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';

describe('REDIS_URL', () => {
  it('names one server with redis:// or rediss://, kept as written', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'server', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://:secret@cache.example:6380/2')).toEqual({ kind: 'server', url: 'rediss://:secret@cache.example:6380/2' });
  });

  it('names a cluster by some of its nodes, with credentials and TLS for every node', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001, redis-3')).toEqual({
      kind: 'cluster', tls: false,
      nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: 'redis-3', port: 6379 }],
    });
    expect(parseRedisUrl('rediss+cluster://app:p%40ss%3Aword@[::1]:7000/0')).toEqual({
      kind: 'cluster', tls: true, username: 'app', password: 'p@ss:word', nodes: [{ host: '::1', port: 7000 }],
    });
    expect(parseRedisUrl('redis+cluster://:only-a-password@node:7000/')).toMatchObject({ password: 'only-a-password', nodes: [{ host: 'node', port: 7000 }] });
  });

  it.each([
    ['not a url'],
    ['http://127.0.0.1:6379'],
    ['redis+cluster://'],
    ['redis+cluster://node:7000,,node:7001'],
    ['redis+cluster://node:70000'],
    ['redis+cluster://node:7000/3'],
    ['redis+cluster://node:7000?tls=true'],
    ['redis+sentinel://node:26379'],
  ])('refuses %s', (value) => {
    expect(() => parseRedisUrl(value)).toThrow(RedisUrlError);
  });

  it('is checked with the rest of the configuration, without repeating a password', () => {
    expect(loadConfig({ REDIS_URL: 'redis+cluster://a:7000,b:7001' }).REDIS_URL).toBe('redis+cluster://a:7000,b:7001');
    const attempt = () => loadConfig({ REDIS_URL: 'redis+cluster://app:hunter2@node:7000/5' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^Invalid configuration:\n {2}REDIS_URL: a Redis Cluster has database 0 only/);
    expect(attempt).not.toThrow(/hunter2/);
  });
});
