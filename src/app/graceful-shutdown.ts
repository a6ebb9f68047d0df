import type { Server } from 'node:http';
import type { Logger } from '../observability/logger.js';

/**
 * Stops accepting connections and waits for in-flight requests; after `timeoutMs`
 * the remaining connections are cut so a stuck client cannot hold the process.
 */
export function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT; a second signal exits at once.
 * @example onShutdownSignal(log, async () => { await closeServer(server, 10_000); await platform.close() })
 */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => { log.info('stopped'); process.exit(0); },
      (error: unknown) => { log.error({ err: error }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.once('SIGTERM', handle);
  process.once('SIGINT', handle);
}
