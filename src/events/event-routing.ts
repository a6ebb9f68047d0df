import type { EventDefinition } from './envelope.js';
import { hashTagged } from './hash-tag.js';
import type { EventSubscription } from './subscription.js';

export interface RoutedModule {
  name: string;
  publishes: readonly EventDefinition[];
  subscriptions?: readonly EventSubscription[];
}

/** The BullMQ queue that carries events to one consuming module; hash-tagged, so it runs on a Redis Cluster. */
export function consumerQueueName(moduleName: string): string {
  return hashTagged(`${moduleName}-events`);
}

/**
 * Who consumes what, computed from every known module's manifest (not only the hosted
 * ones), so a relay fans out to consumers wherever they run.
 */
export class EventRouting {
  private readonly consumersByType = new Map<string, string[]>();
  /** per event type and consumer: its subscriptions' filters, or none when one takes every event */
  private readonly filters = new Map<string, Map<string, ((data: unknown) => boolean)[] | null>>();

  constructor(catalog: readonly RoutedModule[]) {
    const published = new Set(catalog.flatMap((module) => module.publishes.map((event) => event.type)));
    for (const module of catalog) {
      for (const subscription of module.subscriptions ?? []) {
        const type = subscription.event.type;
        if (!published.has(type)) throw new Error(`${module.name} subscribes to ${type}, which no module publishes`);
        const consumers = this.consumersByType.get(type) ?? [];
        if (!consumers.includes(module.name)) consumers.push(module.name);
        this.consumersByType.set(type, consumers);
        this.addFilter(type, module.name, subscription.accepts as ((data: unknown) => boolean) | undefined);
      }
    }
  }

  /** The modules that want this event: every consumer of its type whose filters (if any) accept its data. */
  consumersOf(eventType: string, data?: unknown): readonly string[] {
    const consumers = this.consumersByType.get(eventType) ?? [];
    const filters = this.filters.get(eventType);
    if (data === undefined || !filters) return consumers;
    return consumers.filter((consumer) => {
      const accepts = filters.get(consumer);
      return !accepts || accepts.some((accept) => {
        try {
          return accept(data);
        } catch {
          // Malformed data is the consumer's to judge (its schema check sends it to the dead letters).
          return true;
        }
      });
    });
  }

  allConsumers(): string[] {
    return [...new Set([...this.consumersByType.values()].flat())].sort();
  }

  private addFilter(type: string, consumer: string, accepts: ((data: unknown) => boolean) | undefined): void {
    const byConsumer = this.filters.get(type) ?? new Map<string, ((data: unknown) => boolean)[] | null>();
    const current = byConsumer.get(consumer);
    // One subscription without a filter means the module takes every event of the type.
    if (!accepts || current === null) byConsumer.set(consumer, null);
    else byConsumer.set(consumer, [...(current ?? []), accepts]);
    this.filters.set(type, byConsumer);
  }
}
