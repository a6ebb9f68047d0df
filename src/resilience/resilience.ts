import type { Logger } from '../observability/logger.js';
import type { Clock } from './deadline.js';
import { DEFAULT_RESILIENCE_SETTINGS, DEPENDENCY_NAME, settingsFor, type ResilienceSettings } from './dependency-settings.js';
import { FaultInjector } from './fault-injection.js';
import { ResilientDependency, type DependencyState } from './resilient-dependency.js';

export interface ResilienceOptions {
  log: Logger;
  /** from `parseResilienceSettings(config.RESILIENCE)`; the defaults when absent */
  settings?: ResilienceSettings;
  /** from `FaultInjector.fromConfig(config.FAULT_INJECTION)`; off when absent */
  faults?: FaultInjector;
  clock?: Clock;
}

/**
 * Every remote dependency of the process, each with its own circuit, bulkhead and counters.
 * One per process: the proxy, the module clients and the saga steps that call the same
 * dependency share its circuit, so what one of them learns protects the others.
 * @example const product = resilience.dependency('product'); await product.execute(call, { idempotent: true })
 */
export class Resilience {
  readonly faults: FaultInjector;
  private readonly dependencies = new Map<string, ResilientDependency>();
  private readonly settings: ResilienceSettings;

  constructor(private readonly options: ResilienceOptions) {
    this.settings = options.settings ?? DEFAULT_RESILIENCE_SETTINGS;
    this.faults = options.faults ?? FaultInjector.off();
  }

  /** The dependency called `name`, made on first use with its settings (its entry in `RESILIENCE` over `default`). */
  dependency(name: string): ResilientDependency {
    let dependency = this.dependencies.get(name);
    if (!dependency) {
      if (!DEPENDENCY_NAME.test(name)) throw new Error(`Not a dependency name: ${JSON.stringify(name)} (letters, digits, ".", ":", "_" or "-")`);
      dependency = new ResilientDependency({
        name, settings: settingsFor(this.settings, name), log: this.options.log, faults: this.faults,
        ...(this.options.clock ? { clock: this.options.clock } : {}),
      });
      this.dependencies.set(name, dependency);
    }
    return dependency;
  }

  has(name: string): boolean {
    return this.dependencies.has(name);
  }

  /** Every dependency used so far, by name. */
  states(): DependencyState[] {
    return [...this.dependencies.values()].map((dependency) => dependency.state()).sort((a, b) => a.dependency.localeCompare(b.dependency));
  }

  isolate(name: string): DependencyState {
    const dependency = this.dependency(name);
    dependency.isolate();
    return dependency.state();
  }

  reset(name: string): DependencyState {
    const dependency = this.dependency(name);
    dependency.reset();
    return dependency.state();
  }
}
