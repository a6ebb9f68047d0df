/**
 * `npm run route`: shows who serves each module. `npm run route -- <module> <mode> [options]`
 * changes it; every running instance applies the change within ROUTE_REFRESH_MS.
 *   modes     local | remote | canary | shadow
 *   --percent N      canary: share of requests (0-100) sent to the extracted service
 *   --no-header      canary: ignore `x-route-to: extracted`
 *   --target URL     a fixed address instead of registered instances (--target none clears it)
 * Uses DATABASE_URL, else the database `npm run dev` uses (local port 5432, then its embedded 54329).
 */
import { parseArgs } from 'node:util';
import { schemaPlan, PLATFORM_SCHEMA } from '../src/app/schema-plan.js';
import { loadConfig } from '../src/config/config.js';
import { moduleDatabase, type Knex } from '../src/db/module-database.js';
import { createLogger } from '../src/observability/logger.js';
import { RouteChange } from '../src/proxy/module-route.js';
import { RouteTable } from '../src/proxy/route-table.js';
import { allModules } from '../modules/registry.js';
import { exitOnStartupError } from '../src/app/startup-error.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { percent: { type: 'string' }, 'no-header': { type: 'boolean' }, target: { type: 'string' } },
});
const names = allModules.map((module) => module.name);
const fail = (message: string): never => {
  process.stderr.write(`${message}\nUsage: npm run route [-- <module> local|remote|canary|shadow [--percent N] [--no-header] [--target URL|none]]\n`);
  process.exit(2);
};

const [module, mode] = positionals;
if (module !== undefined && !names.includes(module)) fail(`No module ${module}; known: ${names.join(', ')}`);
if (module !== undefined && mode === undefined) fail('Say which mode');

async function connect(): Promise<Knex> {
  const candidates = process.env.DATABASE_URL
    ? [process.env.DATABASE_URL]
    : ['postgres://postgres@127.0.0.1:5432/commerce', 'postgres://postgres@127.0.0.1:54329/commerce'];
  for (const url of candidates) {
    const config = loadConfig({ ...process.env, DATABASE_URL: url });
    const owner = schemaPlan(config, []).find((entry) => entry.schema === PLATFORM_SCHEMA)!.owner;
    const db = moduleDatabase({ url, owner, poolMax: 1, applicationName: 'commerce:route' });
    try {
      await db.raw('SELECT 1 FROM module_routes LIMIT 1');
      return db;
    } catch {
      await db.destroy();
    }
  }
  return fail(`No route table found at ${candidates.join(' or ')}: start the system (npm run dev) or set DATABASE_URL`);
}

try {
  const db = await connect();
  const routes = new RouteTable(db, 60_000, createLogger({ level: 'warn', pretty: false }));
  try {
    await routes.refresh();
    if (module !== undefined) {
      const change = RouteChange.safeParse({
        mode,
        ...(values.percent === undefined ? {} : { canaryPercent: Number(values.percent) }),
        ...(values['no-header'] ? { canaryHeader: false } : {}),
        ...(values.target === undefined ? {} : { targetUrl: values.target === 'none' ? null : values.target }),
      });
      if (!change.success) fail(change.error.issues.map((issue) => `${issue.path.join('.') || 'route'}: ${issue.message}`).join('\n'));
      await routes.change(module, change.data!, `cli:${process.env.USER ?? 'unknown'}`);
    }
    for (const route of routes.list(names)) {
      const canary = route.mode === 'canary' ? ` ${route.canaryPercent}%${route.canaryHeader ? ' + x-route-to header' : ''}` : '';
      process.stdout.write(`${route.module.padEnd(14)} ${route.mode}${canary}${route.targetUrl ? ` → ${route.targetUrl}` : ''}\n`);
    }
  } finally {
    await db.destroy();
  }
} catch (error) {
  exitOnStartupError(error);
}
