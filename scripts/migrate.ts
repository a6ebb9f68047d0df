/** `npm run migrate`: creates the database, roles and schemas and applies every migration, then exits. */
import { prepareDatabase } from '../src/app/prepare-database.js';
import { hostedModuleNames, loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { allModules } from '../modules/registry.js';
import { exitOnStartupError } from '../src/app/startup-error.js';

try {
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const names = hostedModuleNames(config, allModules.map((m) => m.name));
  await prepareDatabase(config, allModules.filter((m) => names.includes(m.name)), log);
  log.info('database is up to date');
} catch (error) {
  exitOnStartupError(error);
}
