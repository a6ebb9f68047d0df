/**
 * A throwaway Redis Cluster for tests: masters started from the `redis-server` binary on
 * loopback ports, joined with `redis-cli --cluster create`, removed with their files on stop.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './private-redis.js';

const run = promisify(execFile);
/** A cluster node also listens on its port + 10000 (the cluster bus), so that one must be free too. */
const BUS_PORT_OFFSET = 10_000;
const READY_TIMEOUT_MS = 30_000;

export interface LocalRedisCluster {
  /** the `REDIS_URL` that names it: `redis+cluster://127.0.0.1:<port>,…` */
  url: string;
  ports: readonly number[];
  /** a plain connection to each master, for looking at what landed where */
  master(port: number): Redis;
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here, or undefined when it can. */
export function clusterToolsMissing(): string | undefined {
  const missing = ['redis-server', 'redis-cli'].filter((binary) => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0);
  return missing.length === 0 ? undefined : `${missing.join(' and ')} not installed (apt-get install redis-server)`;
}

export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'redis-cluster-'));
  const servers: { port: number; child: ChildProcess; exited: Promise<void> }[] = [];
  const connections = new Map<number, Redis>();
  const stop = async (): Promise<void> => {
    for (const connection of connections.values()) connection.disconnect();
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((server) => server.exited));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < masters; index++) {
      const port = await freePort(servers.map((server) => server.port), [BUS_PORT_OFFSET]);
      servers.push(startServer(port, dir));
    }
    await until(async () => (await Promise.all(servers.map((server) => answers(server.port)))).every(Boolean), 'answer from every server');
    for (const { port } of servers) connections.set(port, new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
    await run('redis-cli', ['--cluster', 'create', ...servers.map((server) => `127.0.0.1:${server.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    // Each node learns the slot assignment over the bus; clients are refused (CLUSTERDOWN) until then.
    await until(async () => (await Promise.all([...connections.values()].map(async (connection) =>
      String(await connection.call('CLUSTER', 'INFO')).includes('cluster_state:ok')))).every(Boolean), 'cluster_state:ok on every node');
  } catch (error) {
    await stop();
    throw error;
  }
  const ports = servers.map((server) => server.port);
  return {
    url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    ports,
    master: (port) => connections.get(port) ?? (() => { throw new Error(`no master on port ${port}`); })(),
    stop,
  };
}

function startServer(port: number, dir: string): { port: number; child: ChildProcess; exited: Promise<void> } {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
    '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Should the test process end without its afterAll, the server must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  return { port, child, exited };
}

async function answers(port: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: no ${what} after ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
