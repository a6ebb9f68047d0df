import type { Logger } from '../observability/logger.js';
import type { ServiceInstance, ServiceRegistry } from './service-registry.js';

/** Where one call goes: a registered instance, or a fixed URL that the platform balances behind. */
export interface Target {
  url: string;
  /** `scheme://host:port` of `url`, worked out once: the key of its connection pool */
  origin: string;
  /** `fixed` for a configured URL (a Kubernetes Service, a load balancer) */
  instanceId: string;
}

export interface DirectorySettings {
  /** how often the instances of a module are read again */
  refreshMs: number;
  /** consecutive failures after which an instance is left out */
  ejectAfterFailures: number;
  /** how long an ejected instance is left out before it gets traffic again */
  ejectionMs: number;
}

export interface TargetQuery {
  /** only extracted services (the proxy never forwards to another monolith) */
  servicesOnly?: boolean;
  /** a fixed URL for this module, when one is configured: then the registry stays out of the way */
  fixedUrl?: string | null;
}

interface Health {
  failures: number;
  ejectedUntil: number;
}

/** What a refresh learnt about one module, kept as the hot path needs it: targets made once, not per call. */
interface Known {
  /** every instance but this process */
  all: Target[];
  /** the extracted services among them */
  services: Target[];
  cursor: number;
}

const targetOf = (url: string, instanceId: string): Target => ({ url, origin: new URL(url).origin, instanceId });

/**
 * Picks an instance for a call: round robin over the live instances of a module, leaving
 * out those that failed repeatedly (outlier ejection) until a cool-down has passed. Reads
 * come from memory, refreshed in the background, so choosing costs nothing on the hot path:
 * `pickKnown` chooses without a promise once a module's instances are known.
 * @example const target = directory.pickKnown('order', query) ?? await directory.pick('order', query); … directory.report(target, ok)
 */
export class ServiceDirectory {
  private readonly instances = new Map<string, ServiceInstance[]>();
  private readonly known = new Map<string, Known>();
  private readonly fixed = new Map<string, Target>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly health = new Map<string, Health>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly selfInstanceId: string,
    private readonly settings: DirectorySettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const module of this.instances.keys()) void this.refresh(module);
    }, this.settings.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The live instances of a module, as the registry says now (for the admin view). */
  async instancesOf(module: string): Promise<readonly ServiceInstance[]> {
    await this.refresh(module);
    return this.instances.get(module) ?? [];
  }

  async pick(module: string, query: TargetQuery = {}): Promise<Target | undefined> {
    if (!query.fixedUrl && !this.known.has(module)) await this.refresh(module);
    return this.pickKnown(module, query);
  }

  /**
   * `pick` without waiting: undefined when the module's instances have not been read yet (then
   * `pick` reads them) or when none is there to take a call.
   */
  pickKnown(module: string, query: TargetQuery = {}): Target | undefined {
    if (query.fixedUrl) return this.fixedTarget(query.fixedUrl);
    const known = this.known.get(module);
    if (!known) return undefined;
    const candidates = query.servicesOnly ? known.services : known.all;
    if (candidates.length === 0) return undefined;
    // No instance has failed lately (the usual case): nothing to leave out, nothing to allocate.
    const pool = this.health.size === 0 ? candidates : this.healthiest(candidates);
    known.cursor = (known.cursor + 1) % pool.length;
    return pool[known.cursor];
  }

  private healthiest(candidates: Target[]): Target[] {
    const now = this.now();
    const healthy = candidates.filter((target) => this.ejectedUntil(target) <= now);
    // With every instance ejected, trying the one that comes back first beats refusing outright.
    return healthy.length > 0 ? healthy : [...candidates].sort((a, b) => this.ejectedUntil(a) - this.ejectedUntil(b)).slice(0, 1);
  }

  private fixedTarget(url: string): Target {
    let target = this.fixed.get(url);
    if (!target) {
      target = targetOf(url, 'fixed');
      this.fixed.set(url, target);
    }
    return target;
  }

  /** What a call to `target` came to: repeated failures eject it for a while. */
  report(target: Pick<Target, 'url' | 'instanceId'>, ok: boolean): void {
    if (target.instanceId === 'fixed') return;
    if (ok) {
      // Every successful call comes here: nothing is allocated unless the instance had failed.
      if (this.health.size > 0) this.health.delete(target.url);
      return;
    }
    const health = this.health.get(target.url) ?? { failures: 0, ejectedUntil: 0 };
    health.failures += 1;
    if (health.failures >= this.settings.ejectAfterFailures && health.ejectedUntil <= this.now()) {
      health.ejectedUntil = this.now() + this.settings.ejectionMs;
      health.failures = 0;
      this.log.warn({ target: target.url, ejectionMs: this.settings.ejectionMs }, 'instance ejected after repeated failures');
    }
    this.health.set(target.url, health);
  }

  private ejectedUntil(target: Pick<Target, 'url'>): number {
    return this.health.get(target.url)?.ejectedUntil ?? 0;
  }

  private learn(module: string, instances: ServiceInstance[]): void {
    this.instances.set(module, instances);
    const others = instances.filter((instance) => instance.instanceId !== this.selfInstanceId);
    const all = others.map((instance) => targetOf(instance.url, instance.instanceId));
    const services = all.filter((_, index) => others[index]!.kind === 'service');
    this.known.set(module, { all, services, cursor: this.known.get(module)?.cursor ?? -1 });
  }

  private refresh(module: string): Promise<void> {
    const running = this.refreshing.get(module);
    if (running) return running;
    const refreshing = this.registry.live(module)
      .then((instances) => { this.learn(module, instances); })
      .catch((error: Error) => {
        // Keep what we knew: a Redis hiccup should not make every instance vanish.
        if (!this.instances.has(module)) this.learn(module, []);
        this.log.warn({ module, err: error.message }, 'cannot read the service registry; using what was known');
      })
      .finally(() => this.refreshing.delete(module));
    this.refreshing.set(module, refreshing);
    return refreshing;
  }
}
