import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ModuleDefinition } from '../../app/module-definition.js';
import { ApiCatalogue } from '../../http/api/api-catalogue.js';
import { ApiRoutes } from '../../http/api/api-routes.js';
import type { Guards } from '../../http/authenticate.js';
import type { SagaDefinition } from '../../saga/saga-definition.js';
import { eventTies } from '../extraction-report/event-ties.js';
import { migrationTables } from './migration-tables.js';
import type { EventEdge, ModuleCard, RouteCard, SagaCard, TableCard } from './module-map-types.js';

/**
 * What the manifests say about each module, cheaply: no TypeScript compiler, no database, no
 * server. Used by the generator (`npm run docs:modules`) and at start-up for `GET /admin/modules`.
 */

/** A module's card with the parts only the code analysis knows left empty. */
export type ManifestCard = Omit<ModuleCard, 'description' | 'folder' | 'untracedCalls'>;

export interface ManifestFacts {
  modules: ManifestCard[];
  events: EventEdge[];
  kernelTables: string[];
}

/** `migrations/every-module/`, found from this file in the repository (`src/…`) and in a build (`dist/src/…`). */
export const EVERY_MODULE_MIGRATIONS = fileURLToPath(new URL('../../../migrations/every-module/', import.meta.url));

/** Code-point order: the same on every machine, whatever its locale. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// Declaring routes registers them on a router that nobody serves: the guards are never run.
const idle: Middleware = async (_ctx, next) => next();
const noGuards: Guards = { requireUser: idle, requireRole: () => idle };

/**
 * The operations a module declares in `routes(api)`, collected on a throwaway router and
 * catalogue: no container, no database, no server (handlers are registered, never called).
 */
export function declaredRoutes(module: ModuleDefinition): RouteCard[] {
  const catalogue = new ApiCatalogue();
  const api = new ApiRoutes(new Router(), noGuards, catalogue);
  module.routes?.(api);
  return catalogue.operations
    .map((operation) => ({
      operationId: operation.operationId, method: operation.method.toUpperCase(), path: operation.path,
      access: operation.access, summary: operation.summary, tags: [...operation.tags].sort(byText),
    }))
    .sort((a, b) => byText(a.path, b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));
}

/** A saga's steps as the definition exposes them: names, effects, the signal awaited, compensation, pivot, shared commits. */
export function sagaCard(saga: SagaDefinition<unknown, unknown>): SagaCard {
  return {
    name: saga.name,
    steps: saga.steps.map((step) => ({
      name: step.name,
      invoke: typeof step.invoke === 'function',
      record: typeof step.record === 'function',
      awaits: step.awaits?.signal ?? null,
      compensation: [
        ...(typeof step.compensate?.invoke === 'function' ? ['invoke' as const] : []),
        ...(typeof step.compensate?.record === 'function' ? ['record' as const] : []),
      ],
      pivot: step.pivot === true,
      withPrevious: step.withPrevious === true,
    })),
  };
}

export function moduleTables(module: ModuleDefinition): TableCard[] {
  return migrationTables(module.migrations);
}

/**
 * @example manifestFacts(allModules).modules.find((m) => m.name === 'order')?.sagas[0]?.name // 'place-order'
 */
export function manifestFacts(modules: readonly ModuleDefinition[]): ManifestFacts {
  const sorted = [...modules].sort((a, b) => byText(a.name, b.name));
  const cards = sorted.map((module): ManifestCard => {
    const events = eventTies(modules, module.name);
    return {
      name: module.name,
      schema: module.schema,
      migrations: `migrations/${path.basename(path.resolve(module.migrations))}/`,
      routePrefixes: [...module.routePrefixes].sort(byText),
      facade: module.facade ? { key: null, interfaceName: null, file: null, methods: [...module.facade.key.methods] } : null,
      routes: declaredRoutes(module),
      published: events.published
        .map((event) => ({ ...event, consumers: [...event.consumers].sort((a, b) => byText(a.module, b.module) || byText(a.handler, b.handler)) }))
        .sort((a, b) => byText(a.type, b.type) || a.version - b.version),
      consumed: events.consumed
        .map((event) => ({ ...event, publishers: [...event.publishers].sort((a, b) => byText(a.module, b.module) || a.version - b.version) }))
        .sort((a, b) => byText(a.type, b.type) || a.version - b.version || byText(a.handler, b.handler)),
      sagas: (module.sagas ?? []).map((saga) => sagaCard(saga)).sort((a, b) => byText(a.name, b.name)),
      tables: moduleTables(module),
    };
  });
  const events = cards
    .flatMap((card) => card.published.flatMap((event) => event.consumers.map((consumer): EventEdge => ({
      publisher: card.name, consumer: consumer.module, event: event.type, version: event.version, handler: consumer.handler, filtered: consumer.filtered,
    }))))
    .sort((a, b) => byText(a.publisher, b.publisher) || byText(a.consumer, b.consumer) || byText(a.event, b.event) || a.version - b.version || byText(a.handler, b.handler));
  return { modules: cards, events, kernelTables: migrationTables(EVERY_MODULE_MIGRATIONS).map((table) => table.name) };
}
