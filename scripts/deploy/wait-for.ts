/**
 * Init containers of deploy/kubernetes/ (compiled: `node dist/scripts/deploy/wait-for.js …`):
 *   migrations                 waits until every schema of MODULES (default all) has every migration
 *                              this image carries, i.e. until the migration Job has run; reads only
 *   service <module>[=<url>] … waits until each module has a live extracted instance in the registry
 *                              (Redis), advertising <url> when given
 * Options: --interval-ms N (default 2000), --timeout-seconds N (default 0: wait for ever; else exit 1).
 * Exits 0 when the condition holds. Uses the application's own configuration (DATABASE_URL,
 * DATABASE_ROLE_SECRET, REDIS_URL …), so it needs the same ConfigMap and Secret as the app.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { hostedModuleNames, loadConfig } from '../../src/config/config.js';
import { exitOnStartupError } from '../../src/app/startup-error.js';
import { connectRedis } from '../../src/events/redis-connection.js';
import { createLogger } from '../../src/observability/logger.js';
import { allModules } from '../../modules/registry.js';
import { migrationState, missingServices, parseWantedService } from './readiness-gates.js';

const usage = 'Usage: wait-for migrations | service <module>[=<url>] … [--interval-ms N] [--timeout-seconds N]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'interval-ms': { type: 'string', default: '2000' }, 'timeout-seconds': { type: 'string', default: '0' } },
});
const intervalMs = Number(values['interval-ms']);
const timeoutMs = Number(values['timeout-seconds']) * 1000;
const [what, ...rest] = positionals;
if (!Number.isFinite(intervalMs) || intervalMs < 50 || !Number.isFinite(timeoutMs) || timeoutMs < 0
  || (what !== 'migrations' && what !== 'service') || (what === 'migrations' && rest.length > 0) || (what === 'service' && rest.length === 0)) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

/** Polls `check` (undefined: done; else what is still missing) until done or the timeout. */
async function waitUntil(log: ReturnType<typeof createLogger>, check: () => Promise<string | undefined>): Promise<boolean> {
  const started = Date.now();
  let lastSaid = '';
  for (;;) {
    const missing = await check();
    if (missing === undefined) return true;
    // Said once per change, so a long wait does not flood the log.
    if (missing !== lastSaid) log.info({ waitingFor: missing }, 'waiting');
    lastSaid = missing;
    if (timeoutMs > 0 && Date.now() - started > timeoutMs) {
      log.error({ waitingFor: missing }, 'gave up waiting');
      return false;
    }
    await sleep(intervalMs);
  }
}

try {
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'wait-for' });
  let done: boolean;
  if (what === 'migrations') {
    const names = hostedModuleNames(config, allModules.map((m) => m.name));
    const modules = allModules.filter((m) => names.includes(m.name));
    done = await waitUntil(log, async () => {
      const { pending, unreadable } = await migrationState(config, modules);
      if (pending.length === 0 && unreadable.length === 0) return undefined;
      return [...unreadable, ...(pending.length > 0 ? [`${pending.length} migration(s): ${pending.join(', ')}`] : [])].join('; ');
    });
    if (done) log.info('every schema is migrated');
  } else {
    const wanted = rest.map(parseWantedService);
    const unknown = wanted.filter((service) => !allModules.some((m) => m.name === service.module));
    if (unknown.length > 0) throw new Error(`unknown module(s): ${unknown.map((s) => s.module).join(', ')}`);
    const redis = connectRedis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
    redis.on('error', () => undefined); // reconnects by itself; each failed poll is logged below
    try {
      done = await waitUntil(log, async () => {
        try {
          const missing = await missingServices(redis, config, log, wanted);
          return missing.length === 0 ? undefined : `live instance of ${missing.map((s) => (s.url ? `${s.module} at ${s.url}` : s.module)).join(', ')}`;
        } catch (error) {
          return `Redis: ${(error as Error).message}`;
        }
      });
    } finally {
      redis.disconnect();
    }
    if (done) log.info({ services: wanted }, 'every service is up');
  }
  process.exit(done ? 0 : 1);
} catch (error) {
  exitOnStartupError(error);
}
