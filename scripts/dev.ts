/**
 * `npm run dev`: the whole system in one process. Uses DATABASE_URL / REDIS_URL when set,
 * else the servers on the default local ports, else starts embedded ones under `.data/`;
 * then creates database, roles and schemas, migrates, seeds and serves. Ctrl-C stops it all.
 */
import { fileURLToPath } from 'node:url';
import { serve } from '../src/app/serve.js';
import { DEV_SECRETS, hostedModuleNames, loadConfig } from '../src/config/config.js';
import { redactPassword, withDatabase } from '../src/db/database-url.js';
import { createLogger } from '../src/observability/logger.js';
import { allModules } from '../modules/registry.js';
import { DEMO_CUSTOMER } from '../modules/user/index.js';
import { ensurePostgres } from './dev/local-postgres.js';
import { displayPath, isLocalServiceError, type LocalService } from './dev/local-service.js';
import { ensureRedis } from './dev/local-redis.js';
import { exitOnStartupError } from './startup-error.js';

const DATA_DIR = fileURLToPath(new URL('../.data/', import.meta.url));
const EMBEDDED_POSTGRES_PORT = 54329;
const EMBEDDED_REDIS_PORT = 63799;

const started: LocalService[] = [];
const stopStarted = async () => {
  for (const service of started.reverse()) await service.stop().catch(() => undefined);
};

try {
  const env: Record<string, string | undefined> = { LOG_PRETTY: process.stdout.isTTY ? 'true' : 'false', ...process.env };
  const say = (message: string) => process.stdout.write(`[dev] ${message}\n`);
  loadConfig(env); // fail on a bad variable before starting anything

  const postgres = await ensurePostgres({ url: env.DATABASE_URL || undefined, dataDir: `${DATA_DIR}postgres`, port: EMBEDDED_POSTGRES_PORT, log: say });
  started.push(postgres);
  const redis = await ensureRedis({ url: env.REDIS_URL || undefined, dataDir: `${DATA_DIR}redis`, port: EMBEDDED_REDIS_PORT, log: say });
  started.push(redis);

  const config = loadConfig({
    ...env,
    DATABASE_URL: env.DATABASE_URL || withDatabase(postgres.url, 'commerce'),
    REDIS_URL: redis.url,
  });
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const names = hostedModuleNames(config, allModules.map((m) => m.name));
  const { url } = await serve({
    config, log, modules: allModules.filter((m) => names.includes(m.name)), catalog: allModules,
    demoData: config.SEED_DEMO_DATA ?? true, afterStop: stopStarted,
  });

  const adminPassword = config.ADMIN_PASSWORD === DEV_SECRETS.ADMIN_PASSWORD ? `${config.ADMIN_PASSWORD} (dev default; set ADMIN_PASSWORD to change)` : '(from ADMIN_PASSWORD)';
  say([
    `ready on ${url}`,
    `  PostgreSQL  ${redactPassword(config.DATABASE_URL)}${postgres.startedHere ? ` (embedded, ${displayPath(postgres.dataDir ?? '')})` : ''}`,
    `  Redis       ${config.REDIS_URL}${redis.startedHere ? ` (private redis-server, ${displayPath(redis.dataDir ?? '')})` : ''}`,
    `  admin       ${config.ADMIN_EMAIL} / ${adminPassword}`,
    `  customer    ${DEMO_CUSTOMER.email} / ${DEMO_CUSTOMER.password} (demo data)`,
    `  try         curl ${url}/readyz`,
  ].join('\n'));
} catch (error) {
  await stopStarted();
  // A service we can neither find nor start is the user's to fix: its message says how, a stack trace would not.
  if (isLocalServiceError(error)) {
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
  exitOnStartupError(error);
}
