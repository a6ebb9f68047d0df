import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  alreadyRunning,
  displayPath,
  endpoint,
  endpointLabel,
  errorMessage,
  isListening,
  LocalServiceError,
  whyUnusable,
  type LocalService,
  type Probe,
} from './local-service.js';

export interface EnsureRedisOptions {
  url?: string; // explicit REDIS_URL
  dataDir: string; // e.g. <repo>/.data/redis
  port: number; // e.g. 63799
  log: (message: string) => void;
  /** where to look for the binary; defaults to PATH plus /usr/bin, /usr/sbin, /usr/local/bin, /opt/homebrew/bin */
  searchPath?: string[];
  /** look for a Redis on 127.0.0.1:6379 first (default true); tests turn it off to force a private one */
  probeDefault?: boolean;
}

export class RedisServerMissingError extends LocalServiceError {
  constructor() {
    super(
      'Redis is not running on 127.0.0.1:6379 and no redis-server binary was found. ' +
        'Install one (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) ' +
        'or start one with: docker compose up -d redis — or set REDIS_URL to a running Redis.',
    );
    this.name = 'RedisServerMissingError';
  }
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const FALLBACK_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];
const READY_TIMEOUT_MS = 5000;
const KILL_AFTER_MS = 3000;
const privateUrl = (port: number): string => `redis://127.0.0.1:${port}`;

export async function ensureRedis(options: EnsureRedisOptions): Promise<LocalService> {
  const { url, dataDir, port, log, searchPath, probeDefault = true } = options;

  if (url) {
    // A Redis Cluster (redis+cluster://host:port,…) is used as given: the configuration checks the URL, the platform's client finds the nodes.
    if (/^rediss?\+cluster:/.test(url)) return alreadyRunning(url);
    endpoint(url, 6379, 'REDIS_URL'); // rejects a malformed URL before ioredis guesses at it
    const probe = await probeRedis(url);
    if (!probe.ok) throw new LocalServiceError(`REDIS_URL points at ${endpointLabel(url, 6379)} but ${whyUnusable(probe)}`);
    return alreadyRunning(url);
  }

  if (probeDefault) {
    const probe = await probeRedis(DEFAULT_URL);
    if (probe.ok) return alreadyRunning(DEFAULT_URL);
    if (probe.listening) log(`Redis on 127.0.0.1:6379 is not usable (${probe.reason}); starting a private one`);
  }

  // A server left behind by a run that was killed before it could stop it.
  const leftover = await probeRedis(privateUrl(port));
  if (leftover.ok) {
    log(`using the private redis-server still running on port ${port}`);
    return alreadyRunning(privateUrl(port));
  }
  if (leftover.listening) {
    throw new LocalServiceError(`port ${port} is taken by something that is not our redis-server (${leftover.reason}); free it or pick another port`);
  }

  const binary = await findRedisServer(searchPath);
  if (!binary) throw new RedisServerMissingError();
  return startRedis(binary, path.resolve(dataDir), port, log);
}

async function startRedis(binary: string, dataDir: string, port: number, log: (message: string) => void): Promise<LocalService> {
  await mkdir(dataDir, { recursive: true });
  log(`starting ${binary} in ${displayPath(dataDir)} on port ${port}`);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'];
  // stdout is kept too: redis logs fatal startup problems such as "Address already in use" there.
  // A process group of its own: Ctrl-C reaches the app alone, which stops Redis after draining.
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  // Reading for the server's whole life also keeps a full pipe from blocking it.
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keepTail);
  child.stderr.on('data', keepTail);

  let exitReason: string | undefined;
  child.once('exit', (code, signal) => (exitReason = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (error) => (exitReason = `could not be run: ${error.message}`));

  const url = privateUrl(port);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while ((await ping(url)) !== undefined) {
    if (exitReason) throw new LocalServiceError(withOutput(`redis-server ${exitReason}`, output));
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new LocalServiceError(withOutput(`redis-server did not answer on port ${port} within ${READY_TIMEOUT_MS / 1000} s`, output));
    }
    await sleep(100);
  }

  // A process that exits some other way (process.exit after an error) still takes its server along.
  const stopOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  child.once('exit', () => {
    if (!stopping) log(withOutput(`redis-server on port ${port} ${exitReason ?? 'exited'} unexpectedly`, output));
  });
  return {
    url, startedHere: true, dataDir,
    stop: () => (stopping ??= stopChild(child).finally(() => process.removeListener('exit', stopOnExit))),
  };
}

function withOutput(message: string, output: string): string {
  return output.trim() ? `${message}: ${output.trim()}` : message;
}

function stopChild(child: ChildProcess): Promise<void> {
  const gone = child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
  if (gone) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function findRedisServer(searchPath?: string[]): Promise<string | undefined> {
  // An explicit searchPath replaces PATH entirely, so callers (and tests) get exactly what they asked for.
  const dirs = searchPath ?? [...(process.env.PATH ?? '').split(path.delimiter), ...FALLBACK_DIRS];
  for (const dir of new Set(dirs.filter(Boolean))) {
    const candidate = path.join(dir, 'redis-server');
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

async function probeRedis(url: string): Promise<Probe> {
  const reason = await ping(url);
  if (reason === undefined) return { ok: true };
  const { host, port } = endpoint(url, 6379);
  return { ok: false, listening: await isListening(host, port), reason };
}

/** undefined when PING answers, otherwise why it did not */
async function ping(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500 });
  // connect() only says "Connection is closed."; the 'error' event carries the cause (e.g. ECONNREFUSED).
  let cause: unknown;
  client.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
    await client.quit();
    return undefined;
  } catch (error) {
    client.disconnect();
    return errorMessage(cause ?? error);
  }
}
