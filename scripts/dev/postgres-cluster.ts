import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalServiceError, type LocalService } from './local-service.js';
import { prepareDataDir, type ClusterPlacement } from './postgres-placement.js';

export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';

const READY_TIMEOUT_MS = 30_000;
const FAST_SHUTDOWN_WAIT_MS = 10_000;
const OUTPUT_TAIL = 4000;

/**
 * Initialises the cluster on first use, starts its server on 127.0.0.1:`port` and waits
 * until `answers()` says it takes connections. The server runs in a process group of its
 * own, so Ctrl-C reaches the app alone, which stops the server last.
 */
export async function startCluster(
  placement: ClusterPlacement,
  port: number,
  { answers, log }: { answers: () => Promise<boolean>; log: (message: string) => void },
): Promise<LocalService> {
  if (!existsSync(path.join(placement.dataDir, 'PG_VERSION'))) await initCluster(placement);

  const args = ['-D', placement.dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const server = spawnAs(placement, placement.binaries.postgres, args, true);
  const ready = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers())) {
    if (server.exitReason()) throw new LocalServiceError(withOutput(`The embedded PostgreSQL ${server.exitReason()} on start`, server.output()));
    if (Date.now() > ready) {
      await stopServer(server.child);
      throw new LocalServiceError(withOutput(`The embedded PostgreSQL did not answer on port ${port} within ${READY_TIMEOUT_MS / 1000} s`, server.output()));
    }
    await sleep(100);
  }

  // A process that exits some other way (process.exit after an error) still takes its server along.
  const stopOnExit = (): void => {
    server.child.kill('SIGINT');
  };
  process.once('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  server.child.once('exit', () => {
    if (!stopping) log(withOutput(`the embedded PostgreSQL on port ${port} ${server.exitReason() ?? 'exited'} unexpectedly`, server.output()));
  });
  return {
    url: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`,
    startedHere: true,
    dataDir: placement.dataDir,
    stop: () => (stopping ??= stopServer(server.child).finally(() => process.removeListener('exit', stopOnExit))),
  };
}

async function initCluster(placement: ClusterPlacement): Promise<void> {
  await prepareDataDir(placement);
  // initdb reads the superuser's password from a file only the server's account can read.
  const secrets = await mkdtemp(path.join(os.tmpdir(), 'commerce-dev-initdb-'));
  const passwordFile = path.join(secrets, 'password');
  try {
    await writeFile(passwordFile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o600 });
    if (placement.account) {
      await chown(secrets, placement.account.uid, placement.account.gid);
      await chown(passwordFile, placement.account.uid, placement.account.gid);
    }
    const initdb = spawnAs(placement, placement.binaries.initdb, [
      `--pgdata=${placement.dataDir}`, `--username=${EMBEDDED_USER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256',
      // The same text rules on every machine, whatever locales it has installed.
      '--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8',
    ], false);
    const code = await new Promise<number | null>((resolve) => {
      initdb.child.once('close', resolve);
      initdb.child.once('error', () => resolve(null));
    });
    if (code !== 0) {
      const why = initdb.exitReason() ?? `exited with code ${code}`;
      throw new LocalServiceError(withOutput(`initdb ${why} while creating the embedded PostgreSQL in ${placement.dataDir} (delete that folder to start afresh)`, initdb.output()));
    }
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

interface Spawned {
  child: ChildProcess;
  output(): string;
  exitReason(): string | undefined;
}

function spawnAs(placement: ClusterPlacement, binary: string, args: string[], detached: boolean): Spawned {
  const child = spawn(binary, args, {
    ...(placement.account ?? {}),
    // The account may not be allowed into the current folder (it may be /root/…).
    cwd: '/',
    detached,
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exitReason: string | undefined;
  // Reading for the process's whole life also keeps a full pipe from blocking it.
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  child.once('exit', (code, signal) => (exitReason ??= `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (error) => (exitReason ??= `could not be run (${error.message})`));
  return { child, output: () => output, exitReason: () => exitReason };
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT) if it takes too long. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const impatient = setTimeout(() => child.kill('SIGQUIT'), FAST_SHUTDOWN_WAIT_MS);
    child.once('exit', () => {
      clearTimeout(impatient);
      resolve();
    });
    child.kill('SIGINT');
  });
}

function withOutput(message: string, output: string): string {
  return output.trim() ? `${message}: ${output.trim()}` : message;
}
