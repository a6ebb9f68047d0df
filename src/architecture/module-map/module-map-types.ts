import type { ConsumedEvent, PublishedEvent } from '../extraction-report/report-types.js';

/**
 * The module map as data: what `docs/modules/module-map.json` holds and what the Markdown in
 * `docs/modules/` is rendered from. Deterministic: everything sorted, no timestamps, paths
 * repository-relative with `/`, no line numbers (they would make the map stale at every edit).
 */

export const MODULE_MAP_VERSION = 1;

export interface ModuleMap {
  mapVersion: typeof MODULE_MAP_VERSION;
  /** every module of the catalogue, by name */
  modules: ModuleCard[];
  /** synchronous facade calls between modules, read from the code (caller → callee) */
  calls: CallEdge[];
  /** events from the manifests, publisher → consumer, one edge per consuming handler */
  events: EventEdge[];
  /** tables the kernel adds to every module's schema (`migrations/every-module/`) */
  kernelTables: string[];
}

export interface ModuleCard {
  name: string;
  /** the doc comment above the module's `defineModule(...)` (code); null when unknown */
  description: string | null;
  schema: string;
  /** repository-relative folder of its code, e.g. `modules/order` (code); null when unknown */
  folder: string | null;
  /** repository-relative folder of its migrations, e.g. `migrations/orders/` */
  migrations: string;
  routePrefixes: string[];
  /** the API other modules may call synchronously; null when the module offers none */
  facade: FacadeCard | null;
  routes: RouteCard[];
  published: PublishedEvent[];
  consumed: ConsumedEvent[];
  sagas: SagaCard[];
  /** tables its own migrations leave behind (created, not dropped later), with the migration that created each */
  tables: TableCard[];
  /** `facades.get(...)` calls in its code whose key the analysis could not trace (code) */
  untracedCalls: { file: string; expression: string }[];
}

export interface FacadeCard {
  /** the key's exported name, e.g. `ProductCatalogApi` (code); null when unknown */
  key: string | null;
  /** the facade's interface, e.g. `ProductCatalog` (code) */
  interfaceName: string | null;
  /** where the key is declared, e.g. `modules/product/contract.ts` (code) */
  file: string | null;
  /** the methods the key names (manifest: `facade.key.methods`), in the key's order */
  methods: string[];
}

export interface RouteCard {
  operationId: string;
  /** upper case: `GET` */
  method: string;
  /** as declared, Koa style: `/api/v1/orders/:id` */
  path: string;
  access: 'public' | 'user' | 'admin';
  summary: string;
  tags: string[];
}

export interface SagaCard {
  name: string;
  steps: SagaStepCard[];
}

export interface SagaStepCard {
  name: string;
  /** has a remote effect (`invoke`, outside any transaction) */
  invoke: boolean;
  /** has a local effect committed with the checkpoint (`record`) */
  record: boolean;
  /** the signal the saga waits for after this step, if any */
  awaits: string | null;
  /** what undoes it: `invoke`, `record`, both, or nothing */
  compensation: ('invoke' | 'record')[];
  /** the point of no return */
  pivot: boolean;
  /** commits in the same transaction as the step before it */
  withPrevious: boolean;
}

export interface TableCard {
  name: string;
  /** the migration that created it, without extension: `20261202000001_orders` */
  migration: string;
}

export interface CallEdge {
  caller: string;
  callee: string;
  /** the facade key used, e.g. `ProductCatalogApi` */
  key: string;
  /** methods called, sorted; `(untraced)` when the facade is passed on and its use not followed */
  methods: string[];
  /** the caller's files that make these calls */
  files: string[];
}

export interface EventEdge {
  publisher: string;
  consumer: string;
  event: string;
  version: number;
  handler: string;
  /** the subscription filters the events it accepts (`accepts`) */
  filtered: boolean;
}
