/**
 * `npm run dev`: the whole system in one process. Uses DATABASE_URL / REDIS_URL when set,
 * else the servers on the default local ports, else starts embedded ones under `.data/`;
 * then creates database, roles and schemas, migrates, seeds and serves. Ctrl-C stops it all.
 */
import { serve } from '../src/app/serve.js';
import { DEV_SECRETS, hostedModuleNames, loadConfig } from '../src/config/config.js';
import { redactPassword } from '../src/db/database-url.js';
import { createLogger } from '../src/observability/logger.js';
import { allModules } from '../modules/registry.js';
import { DEMO_CUSTOMER } from '../modules/user/index.js';
import { displayPath, isLocalServiceError } from './dev/local-service.js';
import { localEnvironment } from './dev/local-environment.js';
import { exitOnStartupError } from '../src/app/startup-error.js';

let stopStarted = async (): Promise<void> => undefined;

try {
  const env: Record<string, string | undefined> = { LOG_PRETTY: process.stdout.isTTY ? 'true' : 'false', ...process.env };
  const say = (message: string) => process.stdout.write(`[dev] ${message}\n`);
  loadConfig(env); // fail on a bad variable before starting anything

  const local = await localEnvironment(env, say);
  stopStarted = local.stop;
  const { postgres, redis } = local;

  const config = loadConfig(local.env);
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
