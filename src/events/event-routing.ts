import type { EventDefinition } from './envelope.js';
import type { EventSubscription } from './subscription.js';

export interface RoutedModule {
  name: string;
  publishes: readonly EventDefinition[];
  subscriptions?: readonly EventSubscription[];
}

/** The BullMQ queue that carries events to one consuming module. */
export function consumerQueueName(moduleName: string): string {
  return `${moduleName}-events`;
}

/**
 * Who consumes what, computed from every known module's manifest (not only the hosted
 * ones), so a relay fans out to consumers wherever they run.
 */
export class EventRouting {
  private readonly consumersByType = new Map<string, string[]>();

  constructor(catalog: readonly RoutedModule[]) {
    const published = new Set(catalog.flatMap((module) => module.publishes.map((event) => event.type)));
    for (const module of catalog) {
      for (const subscription of module.subscriptions ?? []) {
        const type = subscription.event.type;
        if (!published.has(type)) throw new Error(`${module.name} subscribes to ${type}, which no module publishes`);
        const consumers = this.consumersByType.get(type) ?? [];
        if (!consumers.includes(module.name)) consumers.push(module.name);
        this.consumersByType.set(type, consumers);
      }
    }
  }

  consumersOf(eventType: string): readonly string[] {
    return this.consumersByType.get(eventType) ?? [];
  }

  allConsumers(): string[] {
    return [...new Set([...this.consumersByType.values()].flat())].sort();
  }
}
