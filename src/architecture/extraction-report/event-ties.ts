import type { ModuleDefinition } from '../../app/module-definition.js';
import type { EventTies } from './report-types.js';

/**
 * Asynchronous ties, read from the manifests: what the module publishes and who subscribes to
 * it, what it consumes and who publishes it. Events already cross processes through the
 * outbox, Redis and BullMQ, so none of these blocks an extraction.
 * @example eventTies(allModules, 'order').consumed.find((e) => e.type === 'PaymentProcessed')?.publishers // → [{ module: 'payment', version: 1 }]
 */
export function eventTies(modules: readonly ModuleDefinition[], moduleName: string): EventTies {
  const module = modules.find((candidate) => candidate.name === moduleName);
  if (!module) return { published: [], consumed: [] };
  const byType = <T extends { type: string; version: number }>(a: T, b: T): number => a.type.localeCompare(b.type) || a.version - b.version;

  const published = module.publishes.map((event) => ({
    type: event.type,
    version: event.version,
    consumers: modules
      .flatMap((consumer) => (consumer.subscriptions ?? [])
        .filter((subscription) => subscription.event.type === event.type)
        .map((subscription) => ({
          module: consumer.name, handler: subscription.handler, version: subscription.event.version, filtered: typeof subscription.accepts === 'function',
        })))
      .sort((a, b) => a.module.localeCompare(b.module) || a.handler.localeCompare(b.handler)),
  }));

  const consumed = (module.subscriptions ?? []).map((subscription) => ({
    type: subscription.event.type,
    version: subscription.event.version,
    handler: subscription.handler,
    filtered: typeof subscription.accepts === 'function',
    publishers: modules
      .flatMap((publisher) => publisher.publishes
        .filter((event) => event.type === subscription.event.type)
        .map((event) => ({ module: publisher.name, version: event.version })))
      .sort((a, b) => a.module.localeCompare(b.module)),
  }));

  return { published: published.sort(byType), consumed: consumed.sort((a, b) => byType(a, b) || a.handler.localeCompare(b.handler)) };
}
