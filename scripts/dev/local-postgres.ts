import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
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
import { packagedBinaries } from './postgres-binaries.js';
import { EMBEDDED_PASSWORD, EMBEDDED_USER, startCluster } from './postgres-cluster.js';
import { placeCluster } from './postgres-placement.js';

export interface EnsurePostgresOptions {
  url?: string; // explicit DATABASE_URL from the user
  dataDir: string; // e.g. <repo>/.data/postgres
  port: number; // port for the embedded server, e.g. 54329
  log: (message: string) => void;
  /** look for a PostgreSQL on 127.0.0.1:5432 first (default true); tests turn it off to force the embedded one */
  probeDefault?: boolean;
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const embeddedUrl = (port: number): string => `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;

export async function ensurePostgres(options: EnsurePostgresOptions): Promise<LocalService> {
  const { url, dataDir, port, log, probeDefault = true } = options;

  if (url) {
    const probe = await probePostgres(url, 'DATABASE_URL');
    if (!probe.ok) throw new LocalServiceError(`DATABASE_URL points at ${endpointLabel(url, 5432)} but ${whyUnusable(probe)}`);
    return alreadyRunning(url);
  }

  if (probeDefault) {
    const probe = await probePostgres(DEFAULT_URL);
    if (probe.ok) return alreadyRunning(DEFAULT_URL);
    if (probe.listening) log(`PostgreSQL on 127.0.0.1:5432 is not usable (${probe.reason}); using an embedded one`);
  }

  // A server left behind by a run that was killed before it could stop it.
  const leftover = await probePostgres(embeddedUrl(port));
  if (leftover.ok) {
    log(`using the embedded PostgreSQL still running on port ${port}`);
    return alreadyRunning(embeddedUrl(port));
  }
  if (leftover.listening) {
    throw new LocalServiceError(`port ${port} is taken by something that is not our embedded PostgreSQL (${leftover.reason}); free it or pick another port`);
  }
  return startEmbedded(dataDir, port, log);
}

async function startEmbedded(dataDir: string, port: number, log: (message: string) => void): Promise<LocalService> {
  const placement = await placeCluster(path.resolve(dataDir), await packagedBinaries(), log);
  await removeStalePidFile(placement.dataDir, port);
  log(`starting embedded PostgreSQL in ${displayPath(placement.dataDir)} on port ${port}`);
  return startCluster(placement, port, { log, answers: async () => (await probePostgres(embeddedUrl(port))).ok });
}

/**
 * A killed run can leave postmaster.pid behind, and postgres refuses to start when the PID in it
 * now belongs to another process (common in containers, where PIDs repeat).
 */
async function removeStalePidFile(dataDir: string, port: number): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const contents = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (contents === undefined) return;
  // Line 4 is the port; if a server from this data dir still runs on another port, its lock guards the data.
  const recordedPort = Number(contents.split('\n')[3]);
  if (recordedPort && recordedPort !== port && (await isListening('127.0.0.1', recordedPort))) {
    throw new LocalServiceError(`${displayPath(dataDir)} is in use by a PostgreSQL on port ${recordedPort}; stop it or use that port`);
  }
  await rm(pidFile, { force: true });
}

async function probePostgres(url: string, variable?: string): Promise<Probe> {
  const { host, port } = endpoint(url, 5432, variable);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {}); // a dropped probe connection must not crash the process
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    // A missing database still proves the server is there; creating it is someone else's job.
    if (error instanceof pg.DatabaseError && error.code === '3D000') return { ok: true };
    return { ok: false, listening: await isListening(host, port), reason: errorMessage(error) };
  } finally {
    await client.end().catch(() => {});
  }
}
