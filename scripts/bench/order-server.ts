/**
 * The monolith under load for `npm run bench:orders`, in a process of its own so the load
 * generator does not share its event loop. It tells its parent (over IPC) its port, every
 * order saga that settles, with the time it did, and its CPU time when asked.
 */
import { createPlatform, listen } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { allModules } from '../../modules/registry.js';

export type ServerMessage =
  | { kind: 'ready'; port: number }
  | { kind: 'settled'; orderId: string; confirmed: boolean; at: number }
  /** this process's CPU time so far (user + system), asked for by `cpu?` */
  | { kind: 'cpu'; micros: number };

/** What the benchmark asks of the server. */
export type BenchMessage = { kind: 'cpu?' };

const send = (message: ServerMessage) => process.send?.(message);

// CPU per order is a steadier measure than throughput on a machine shared with other work.
process.on('message', (message: BenchMessage) => {
  if (message.kind !== 'cpu?') return;
  const { user, system } = process.cpuUsage();
  send({ kind: 'cpu', micros: user + system });
});

const config = loadConfig(process.env);
const log = createLogger({ level: config.LOG_LEVEL, pretty: false });
const platform = createPlatform({ config, log, modules: allModules });
const order = platform.modules.find((hosted) => hosted.definition.name === 'order')!;
order.container.cradle.sagas.onSettled((saga) => {
  if (saga.sagaType !== 'place-order') return;
  send({ kind: 'settled', orderId: saga.lockKey!, confirmed: saga.status === 'COMPLETED', at: performance.timeOrigin + performance.now() });
});
await platform.seed({ demoData: false });
await platform.start();
const server = await listen(platform, 0, '127.0.0.1');
const address = server.address();
send({ kind: 'ready', port: typeof address === 'object' && address ? address.port : 0 });

process.on('disconnect', () => {
  server.close();
  void platform.close().finally(() => process.exit(0));
});
