/**
 * What every extracted service's `main.ts` runs: one module, hosted by the same kernel
 * and module code as in the monolith, as a service of its own (role `service`): it
 * answers only requests that carry a service token, registers itself for discovery and
 * runs the module's relay, consumers and sagas. Nothing here is specific to a module.
 */
import { serve } from '../src/app/serve.js';
import type { ModuleDefinition } from '../src/app/module-definition.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { allModules } from '../modules/registry.js';
import { exitOnStartupError } from '../src/app/startup-error.js';

export interface ExtractedService {
  module: ModuleDefinition;
  /** where it listens unless SERVICE_PORT says otherwise (PORT stays the monolith's) */
  defaultPort: number;
}

export async function runService(service: ExtractedService): Promise<void> {
  try {
    const name = service.module.name;
    const config = loadConfig({
      ...process.env,
      SERVICE_NAME: `${name}-service`,
      MODULES: name,
      PORT: process.env.SERVICE_PORT ?? String(service.defaultPort),
    });
    const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: config.SERVICE_NAME });
    await serve({ config, log, role: 'service', modules: [service.module], catalog: allModules, demoData: false });
  } catch (error) {
    exitOnStartupError(error);
  }
}
