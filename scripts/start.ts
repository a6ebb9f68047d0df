/**
 * Production entry (`npm start`, compiled): hosts the modules named in MODULES against
 * the configured PostgreSQL and Redis. Nothing is started on the side.
 */
import { hostedModuleNames, loadConfig } from '../src/config/config.js';
import { serve } from '../src/app/serve.js';
import { createLogger } from '../src/observability/logger.js';
import { allModules } from '../modules/registry.js';
import { exitOnStartupError } from '../src/app/startup-error.js';

try {
  const config = loadConfig(process.env);
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const names = hostedModuleNames(config, allModules.map((m) => m.name));
  await serve({ config, log, modules: allModules.filter((m) => names.includes(m.name)), catalog: allModules, demoData: config.SEED_DEMO_DATA ?? false });
} catch (error) {
  exitOnStartupError(error);
}
