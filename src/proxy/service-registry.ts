import type { RedisClient } from '../events/redis-connection.js';
import type { Logger } from '../observability/logger.js';

/** One process answering for one module: the monolith for what it hosts, or an extracted service. */
export interface ServiceInstance {
  /** the process (shared by every module it hosts) */
  instanceId: string;
  module: string;
  url: string;
  kind: 'monolith' | 'service';
}

export interface RegistrySettings {
  prefix: string;
  heartbeatMs: number;
  /** an instance not heard from for this long is no longer offered */
  ttlMs: number;
}

/**
 * Instances register themselves with a heartbeat and a time-to-live, in a Redis sorted
 * set per module scored by expiry: a crashed process simply stops being offered once its
 * last heartbeat runs out, and no one has to clean up after it.
 * @example await registry.register([{ instanceId, module: 'order', url, kind: 'service' }])
 */
export class ServiceRegistry {
  private registered: ServiceInstance[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: RedisClient, private readonly settings: RegistrySettings, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  private key(module: string): string {
    // One hash tag for every module's set: a heartbeat updates them all in one MULTI, which a Redis Cluster allows within one slot only.
    return `${this.settings.prefix}:{registry}:${module}`;
  }

  /** Announces the instances now and keeps announcing them until `deregister`. */
  async register(instances: readonly ServiceInstance[]): Promise<void> {
    this.registered = [...instances];
    clearInterval(this.timer);
    const beat = () => this.heartbeat().catch((error: Error) => this.log.warn({ err: error.message }, 'registry heartbeat failed; retrying'));
    this.timer = setInterval(beat, this.settings.heartbeatMs);
    this.timer.unref();
    // A connection still being made is waited for, briefly, so the first announcement is not lost;
    // Redis being down only delays it to a later heartbeat.
    if (this.redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.redis.off('ready', done); resolve(); };
        const timer = setTimeout(done, this.settings.heartbeatMs);
        this.redis.once('ready', done);
      });
    }
    await beat();
  }

  private async heartbeat(): Promise<void> {
    if (this.registered.length === 0) return;
    const expiresAt = this.now() + this.settings.ttlMs;
    const batch = this.redis.multi();
    for (const instance of this.registered) {
      batch.zadd(this.key(instance.module), expiresAt, JSON.stringify(instance));
      // Keeps the set itself from outliving every instance in it.
      batch.pexpire(this.key(instance.module), this.settings.ttlMs * 10);
    }
    await batch.exec();
  }

  /** Withdraws this process at once on a clean stop, so no one waits for its TTL. */
  async deregister(): Promise<void> {
    clearInterval(this.timer);
    const instances = this.registered;
    this.registered = [];
    if (instances.length === 0) return;
    const batch = this.redis.multi();
    for (const instance of instances) batch.zrem(this.key(instance.module), JSON.stringify(instance));
    await batch.exec().catch(() => undefined);
  }

  /** Live instances of a module; expired ones are dropped on the way. */
  async live(module: string): Promise<ServiceInstance[]> {
    const key = this.key(module);
    const now = this.now();
    const [, members] = await Promise.all([
      this.redis.zremrangebyscore(key, '-inf', now),
      this.redis.zrangebyscore(key, now, '+inf'),
    ]);
    return members.flatMap((member) => {
      try {
        return [JSON.parse(member) as ServiceInstance];
      } catch {
        return [];
      }
    });
  }
}
