import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { deleteRedisKeys } from '../testing/redis-keys.js';
import { ServiceDirectory } from './service-directory.js';
import { ServiceRegistry, type ServiceInstance } from './service-registry.js';

const log = createLogger({ level: 'silent', pretty: false });
const prefix = `test-discovery-${randomUUID()}`;
let redis: Redis;
const registries: ServiceRegistry[] = [];

const instance = (instanceId: string, kind: ServiceInstance['kind'] = 'service'): ServiceInstance => ({ instanceId, module: 'order', url: `http://${instanceId}.test`, kind });
async function running(instances: ServiceInstance[], ttlMs = 60_000): Promise<ServiceRegistry> {
  const registry = new ServiceRegistry(redis, { prefix, heartbeatMs: 50, ttlMs }, log);
  await registry.register(instances);
  registries.push(registry);
  return registry;
}
const directoryOf = (settings: { ejectAfterFailures?: number; ejectionMs?: number } = {}, now?: () => number) => new ServiceDirectory(
  new ServiceRegistry(redis, { prefix, heartbeatMs: 50, ttlMs: 60_000 }, log), 'self',
  { refreshMs: 1_000, ejectAfterFailures: settings.ejectAfterFailures ?? 3, ejectionMs: settings.ejectionMs ?? 1_000 }, log, now,
);

beforeAll(() => { redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'); });
afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.deregister()));
  await deleteRedisKeys(redis, `${prefix}*`);
  redis.disconnect();
});

it('offers what registered until it deregisters, and forgets one that stops its heartbeat', async () => {
  const reader = new ServiceRegistry(redis, { prefix, heartbeatMs: 50, ttlMs: 300 }, log);
  const a = await running([{ ...instance('a'), module: 'ttl' }], 300);
  const b = await running([{ ...instance('b'), module: 'ttl' }], 300);
  expect((await reader.live('ttl')).map((i) => i.instanceId).sort()).toEqual(['a', 'b']);
  await a.deregister();
  expect((await reader.live('ttl')).map((i) => i.instanceId)).toEqual(['b']);
  // A crashed process stops its heartbeat without deregistering: its entry runs out by itself.
  (b as unknown as { timer: NodeJS.Timeout }).timer.close();
  await new Promise((resolve) => setTimeout(resolve, 450));
  expect(await reader.live('ttl')).toEqual([]);
});

it('spreads calls over live instances, never to itself, and to services only when asked', async () => {
  await running([instance('a'), instance('b'), instance('self', 'monolith'), instance('m', 'monolith')]);
  const directory = directoryOf();
  const picks = await Promise.all(Array.from({ length: 6 }, () => directory.pick('order', { servicesOnly: true })));
  expect(picks.map((target) => target!.instanceId).sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
  const any = new Set((await Promise.all(Array.from({ length: 6 }, () => directory.pick('order')))).map((target) => target!.instanceId));
  expect(any).toEqual(new Set(['a', 'b', 'm']));
  expect(await directory.pick('order', { fixedUrl: 'http://order.svc' })).toEqual({ url: 'http://order.svc', origin: 'http://order.svc', instanceId: 'fixed' });
  expect(await directory.pick('nobody')).toBeUndefined();
});

it('ejects an instance that keeps failing, and takes it back after the cool-down', async () => {
  let now = Date.now();
  const directory = directoryOf({ ejectAfterFailures: 3, ejectionMs: 1_000 }, () => now);
  const a = { url: 'http://a.test', instanceId: 'a' };
  for (let i = 0; i < 3; i += 1) directory.report(a, false);
  const during = await Promise.all(Array.from({ length: 4 }, () => directory.pick('order', { servicesOnly: true })));
  expect(new Set(during.map((target) => target!.instanceId))).toEqual(new Set(['b']));
  now += 1_001;
  const after = await Promise.all(Array.from({ length: 4 }, () => directory.pick('order', { servicesOnly: true })));
  expect(new Set(after.map((target) => target!.instanceId))).toEqual(new Set(['a', 'b']));
});

it('with every instance ejected, still tries the one that comes back first', async () => {
  let now = Date.now();
  const directory = directoryOf({ ejectAfterFailures: 1, ejectionMs: 60_000 }, () => now);
  directory.report({ url: 'http://a.test', instanceId: 'a' }, false);
  now += 10;
  directory.report({ url: 'http://b.test', instanceId: 'b' }, false);
  expect((await directory.pick('order', { servicesOnly: true }))?.instanceId).toBe('a');
});
