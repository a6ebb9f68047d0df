import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';
import { localRoute, type ModuleRoute, type RouteChange } from './module-route.js';

interface RouteRow {
  module: string;
  mode: ModuleRoute['mode'];
  canary_percent: number;
  canary_header: boolean;
  target_url: string | null;
  revision: string;
  updated_by: string;
  updated_at: Date;
}

const toRoute = (row: RouteRow): ModuleRoute => ({
  module: row.module, mode: row.mode, canaryPercent: row.canary_percent, canaryHeader: row.canary_header,
  targetUrl: row.target_url, revision: Number(row.revision), updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString(),
});

/**
 * The route table as every instance sees it: read from the platform schema into memory and
 * read again every `refreshMs`, so a change made anywhere applies everywhere within that
 * time without a restart, while the request path only ever reads memory. Polling a handful
 * of rows twice a second costs nothing and, unlike a notification, cannot be missed.
 * @example routes.route('order').mode // 'local' until someone flips it
 */
export class RouteTable {
  private routes = new Map<string, ModuleRoute>();
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(route: ModuleRoute) => void>();

  constructor(private readonly db: Knex, private readonly refreshMs: number, private readonly log: Logger) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: Error) => this.log.warn({ err: error.message }, 'cannot read the route table; keeping the routes known'));
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  route(module: string): ModuleRoute {
    return this.routes.get(module) ?? localRoute(module);
  }

  list(modules: readonly string[]): ModuleRoute[] {
    return modules.map((module) => this.route(module));
  }

  /** Called with each route whose revision changed, e.g. to log the switch. */
  onChange(listener: (route: ModuleRoute) => void): void {
    this.listeners.add(listener);
  }

  async change(module: string, change: RouteChange, by: string): Promise<ModuleRoute> {
    const values = {
      mode: change.mode,
      canary_percent: change.canaryPercent ?? 0,
      canary_header: change.canaryHeader ?? true,
      ...(change.targetUrl === undefined ? {} : { target_url: change.targetUrl }),
      updated_by: by,
      updated_at: this.db.fn.now(),
    };
    const [row] = await this.db<RouteRow>('module_routes')
      .insert({ module, target_url: null, ...values })
      .onConflict('module')
      .merge({ ...values, revision: this.db.raw('module_routes.revision + 1') } as never)
      .returning('*');
    this.apply(toRoute(row as RouteRow));
    return this.route(module);
  }

  async refresh(): Promise<void> {
    const rows = await this.db<RouteRow>('module_routes').select('*');
    for (const row of rows) this.apply(toRoute(row));
  }

  private apply(route: ModuleRoute): void {
    const known = this.routes.get(route.module);
    if (known && known.revision >= route.revision) return;
    this.routes.set(route.module, route);
    if (known || route.mode !== 'local') {
      this.log.info({ module: route.module, mode: route.mode, canaryPercent: route.canaryPercent, revision: route.revision }, 'route changed');
    }
    for (const listener of this.listeners) listener(route);
  }
}
