import type { Server } from 'node:http';
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import { closeServer, onShutdownSignal } from './graceful-shutdown.js';
import type { ModuleDefinition } from './module-definition.js';
import { createPlatform, listen, type Platform } from './platform.js';
import type { PlatformRole } from './platform-network.js';
import { prepareDatabase } from './prepare-database.js';

export interface ServeOptions {
  config: Config;
  log: Logger;
  modules: readonly ModuleDefinition[];
  /** every module of the system, so events reach consumers this process does not host */
  catalog: readonly ModuleDefinition[];
  demoData: boolean;
  /** `service` for an extracted service (default `monolith`, the front door) */
  role?: PlatformRole;
  /** run after everything else has stopped, e.g. embedded servers started for development */
  afterStop?: () => Promise<void>;
}

export interface Serving {
  platform: Platform;
  server: Server;
  url: string;
}

/**
 * Prepares the database, seeds, listens, and stops cleanly on SIGTERM/SIGINT.
 * Used by `npm run dev`, `npm start` and every extracted service.
 */
export async function serve(options: ServeOptions): Promise<Serving> {
  const { config, log } = options;
  await prepareDatabase(config, options.modules, log);
  const platform = createPlatform({ config, log, modules: options.modules, catalog: options.catalog, ...(options.role ? { role: options.role } : {}) });
  await platform.seed({ demoData: options.demoData });
  await platform.start();
  const server = await listen(platform, config.PORT, config.HOST);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://localhost:${port}`;
  await platform.announce(advertisedUrl(config, port));
  onShutdownSignal(log, async () => {
    await closeServer(server, config.SHUTDOWN_TIMEOUT_MS);
    await platform.close();
    await options.afterStop?.();
  });
  log.info({ url, modules: options.modules.map((m) => m.name) }, 'listening');
  return { platform, server, url };
}

/** Where other processes reach this one: ADVERTISED_URL, else loopback when listening on every interface. */
export function advertisedUrl(config: Config, port: number): string {
  if (config.ADVERTISED_URL) return config.ADVERTISED_URL.replace(/\/$/, '');
  const host = ['0.0.0.0', '::', ''].includes(config.HOST) ? '127.0.0.1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
