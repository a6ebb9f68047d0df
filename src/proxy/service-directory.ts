import type { Logger } from '../observability/logger.js';
import type { ServiceInstance, ServiceRegistry } from './service-registry.js';

/** Where one call goes: a registered instance, or a fixed URL that the platform balances behind. */
export interface Target {
  url: string;
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

/**
 * Picks an instance for a call: round robin over the live instances of a module, leaving
 * out those that failed repeatedly (outlier ejection) until a cool-down has passed. Reads
 * come from memory, refreshed in the background, so choosing costs nothing on the hot path.
 * @example const target = await directory.pick('order', { servicesOnly: true }); … directory.report(target, ok)
 */
export class ServiceDirectory {
  private readonly instances = new Map<string, ServiceInstance[]>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly health = new Map<string, Health>();
  private readonly cursor = new Map<string, number>();
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
    if (query.fixedUrl) return { url: query.fixedUrl, instanceId: 'fixed' };
    if (!this.instances.has(module)) await this.refresh(module);
    const candidates = (this.instances.get(module) ?? [])
      .filter((instance) => instance.instanceId !== this.selfInstanceId && (!query.servicesOnly || instance.kind === 'service'));
    if (candidates.length === 0) return undefined;
    const now = this.now();
    const healthy = candidates.filter((instance) => (this.health.get(instance.url)?.ejectedUntil ?? 0) <= now);
    // With every instance ejected, trying the one that comes back first beats refusing outright.
    const pool = healthy.length > 0 ? healthy : [...candidates].sort((a, b) => this.ejectedUntil(a) - this.ejectedUntil(b)).slice(0, 1);
    const next = ((this.cursor.get(module) ?? -1) + 1) % pool.length;
    this.cursor.set(module, next);
    const chosen = pool[next]!;
    return { url: chosen.url, instanceId: chosen.instanceId };
  }

  /** What a call to `target` came to: repeated failures eject it for a while. */
  report(target: Target, ok: boolean): void {
    if (target.instanceId === 'fixed') return;
    const health = this.health.get(target.url) ?? { failures: 0, ejectedUntil: 0 };
    if (ok) {
      if (health.failures > 0 || health.ejectedUntil > 0) this.health.delete(target.url);
      return;
    }
    health.failures += 1;
    if (health.failures >= this.settings.ejectAfterFailures && health.ejectedUntil <= this.now()) {
      health.ejectedUntil = this.now() + this.settings.ejectionMs;
      health.failures = 0;
      this.log.warn({ target: target.url, ejectionMs: this.settings.ejectionMs }, 'instance ejected after repeated failures');
    }
    this.health.set(target.url, health);
  }

  private ejectedUntil(instance: ServiceInstance): number {
    return this.health.get(instance.url)?.ejectedUntil ?? 0;
  }

  private refresh(module: string): Promise<void> {
    const running = this.refreshing.get(module);
    if (running) return running;
    const refreshing = this.registry.live(module)
      .then((instances) => { this.instances.set(module, instances); })
      .catch((error: Error) => {
        // Keep what we knew: a Redis hiccup should not make every instance vanish.
        if (!this.instances.has(module)) this.instances.set(module, []);
        this.log.warn({ module, err: error.message }, 'cannot read the service registry; using what was known');
      })
      .finally(() => this.refreshing.delete(module));
    this.refreshing.set(module, refreshing);
    return refreshing;
  }
}
