/**
 * `npm run bench:proxy`: what the strangler's front door costs. Two endpoints of the product
 * module (a database read, `GET /api/v1/products/:id`, and a trivial one that touches no
 * database, `GET /api/v1/products/not-a-uuid`: the repository answers an id that is not a UUID
 * as "not found" without a query, so the service answers 404 from memory) are reached
 *  - direct: on the extracted product service, with a service token;
 *  - frontDoor: through the monolith, the product module routed `remote`;
 *  - nginx: through nginx as the reference reverse proxy (skipped when nginx is not installed);
 *  - passThrough: through a plain node:http + undici Pool pass-through (the naive Node baseline).
 * For each: requests/s at saturation (wrk, BENCH_CONNECTIONS connections for BENCH_SECONDS
 * after a warm-up) with p50/p99 from wrk's histogram, and latency at low load (one
 * connection, sequential requests, raw samples): the added p50 is p50(via) − p50(direct).
 * The measurements run one after another, never in parallel: everything shares the cores.
 * Writes bench-results/proxy.json (bench-results/proxy-profiled.json with BENCH_PROFILE).
 *
 * Knobs: BENCH_SECONDS (4), BENCH_WARMUP_SECONDS (2; 1 s from the second round on),
 * BENCH_CONNECTIONS (32), BENCH_THREADS (wrk threads, 1), BENCH_ROUNDS (2: every saturation
 * measurement is repeated, in a rotated order, and each via's best round is reported, since
 * other work on a shared machine only ever slows a measurement down), BENCH_LOW_LOAD_REQUESTS (2000),
 * DATABASE_POOL_MAX (10) and UPSTREAM_CONNECTIONS (64), the same for every process,
 * BENCH_PROFILE (1 or monolith | service | all: --cpu-prof, summarised at the end),
 * BENCH_LOAD=node (no wrk), NGINX_BIN, BENCH_DATABASE_URL, REDIS_URL.
 */
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { prepareDatabase } from '../../src/app/prepare-database.js';
import { loadConfig } from '../../src/config/config.js';
import { withDatabase } from '../../src/db/database-url.js';
import { dropDatabase } from '../../src/db/provision.js';
import { createLogger } from '../../src/observability/logger.js';
import { ServiceTokens } from '../../src/security/service-tokens.js';
import { deleteRedisKeys } from '../../src/testing/redis-keys.js';
import { isRunAlive } from '../../src/testing/test-database.js';
import { allModules } from '../../modules/registry.js';
import { BENCH_DATABASE_PREFIX, BENCH_REDIS_PREFIX, BENCH_SECRETS, removeWhatKilledRunsLeft } from './bench-run.js';
import { hasWrk, prepareWrk, runNodeLoad, runWrk, sequentialLatencies, type LoadTarget, type SaturationResult, type SequentialResult } from './proxy-load.js';
import { findNginx, nginxErrors, startNginx } from './proxy-nginx.js';
import { cpuMsBetween, cpuMsByPid, freePort, machineCpuMs, pidsWhoseCommandHas, repoRoot, startChild, startOnFreePort, waitUntilServing, withChildren, type BenchChild } from './proxy-processes.js';
import { formatSummary, summariseProfile } from './proxy-profile.js';
import { percentiles, round } from './percentiles.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const LOW_LOAD_REQUESTS = Number(process.env.BENCH_LOW_LOAD_REQUESTS ?? 2000);
const LOW_LOAD_WARMUP = 200;
const LOW_LOAD_BLOCK = 100;
const IDLE_SAMPLE_MS = 3_000;
const TEMP_PREFIX = 'bench-proxy-';
const POOL_MAX = process.env.DATABASE_POOL_MAX ?? '10';
const UPSTREAM_CONNECTIONS = process.env.UPSTREAM_CONNECTIONS ?? '64';
const LOG_LEVEL = 'warn';
const PROFILE = (process.env.BENCH_PROFILE ?? '').trim();
const profiles = { monolith: ['1', 'true', 'monolith', 'all'].includes(PROFILE), service: ['service', 'all'].includes(PROFILE) };
const profiling = profiles.monolith || profiles.service;
const profileDir = resolve(repoRoot, 'bench-results/profiles');
// A token for the bench's own direct calls, nginx and the pass-through: valid for the whole run.
const TOKEN_TTL_SECONDS = 1_800;

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `${BENCH_DATABASE_PREFIX}${process.pid}_proxy`;
const prefix = `${BENCH_REDIS_PREFIX}${process.pid}`;
// The monolith and the service get the same settings; each is told its own port below.
const env: Record<string, string> = {
  ...(process.env as Record<string, string>), NODE_ENV: 'production', LOG_LEVEL, HOST: '127.0.0.1',
  DATABASE_URL: withDatabase(serverUrl, database), REDIS_PREFIX: prefix, ...BENCH_SECRETS,
  ADMIN_EMAIL: 'bench-admin@example.com', DATABASE_POOL_MAX: POOL_MAX, UPSTREAM_CONNECTIONS,
};
delete env.NODE_OPTIONS;

const VIAS = ['direct', 'frontDoor', 'nginx', 'passThrough'] as const;
type Via = (typeof VIAS)[number];
const VIA_LABEL: Record<Via, string> = { direct: 'direct (service)', frontDoor: 'strangler front door', nginx: 'nginx', passThrough: 'undici pass-through' };
type EndpointKey = 'databaseRead' | 'trivial';
interface Endpoint { key: EndpointKey; label: string; path: string; expectStatus: number }

interface Measured extends SaturationResult {
  /** CPU the proxy (monolith, nginx master + worker, pass-through) used per request, in µs */
  proxyCpuUsPerRequest: number | null;
  serviceCpuUsPerRequest: number | null;
  /** PostgreSQL backends connected to the bench's database */
  databaseCpuUsPerRequest: number | null;
  generatorCpuUsPerRequest: number | null;
  /** cores busy on the whole machine meanwhile (wrk and anybody else's work included) */
  machineBusyCores: number | null;
  /** cores busy with work that is not ours (other processes: tests, builds…) meanwhile: the noise */
  othersCores: number | null;
  /** front door only: reads the policy served from the local module instead (must be 0) */
  fellBack?: number;
}

/** A via's best round as written to proxy.json: what was measured, rounded, with its share of direct. */
type SaturationDetail = Omit<Measured, 'generator' | 'generatorCpuMs'> & {
  /** this via's requests/s over direct's */
  ofDirect: number;
  /** every round's requests/s when BENCH_ROUNDS > 1; the best is reported */
  roundsRps?: number[];
  roundsOthersCores?: (number | null)[];
};
interface LowLoadDetail {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  addedP50Ms: number;
  /** one connection: CPU of the proxy per request (direct: of the service), idle background work included */
  proxyCpuUsPerRequest?: number | null;
  serviceCpuUsPerRequest?: number | null;
  /** the same, less what the process burns with no traffic over the same time */
  proxyCpuUsPerRequestLessIdle?: number;
  serviceCpuUsPerRequestLessIdle?: number;
  /** share of a core the proxy (direct: the service) uses with no traffic at all */
  idleCpuShare: number;
}
interface EndpointDetail { path: string; expectStatus: number; saturation: Partial<Record<Via, SaturationDetail>>; lowLoad: Partial<Record<Via, LowLoadDetail>> }

const log = (line: string) => process.stdout.write(`${line}\n`);
const children: BenchChild[] = [];
const stopAll = new AbortController();
let stopWrk: (() => void) | undefined;
let tempDir: string | undefined;
let redis: Redis | undefined;
let cleaning: Promise<void> | undefined;

/** Stops every process of ours, removes the temp dir, the Redis keys and the database; once. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    stopAll.abort();
    stopWrk?.();
    await Promise.all(children.map((child) => child.stop()));
    if (tempDir) await rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
    if (redis) {
      await deleteRedisKeys(redis, `${prefix}:*`).catch(() => undefined);
      redis.disconnect();
    }
    await dropDatabase(serverUrl, database).catch((error: Error) => log(`could not drop ${database}: ${error.message}`));
  })();
  return cleaning;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the processes and removing the database, Redis keys and temp dir…`);
    void cleanup().finally(() => process.exit(code));
  });
}

async function call(origin: string, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const res = await request(`${origin}${path}`, {
    method: method as 'GET',
    headers: {
      accept: 'application/json', ...options.headers,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function json(origin: string, method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<Record<string, unknown>> {
  const res = await call(origin, method, path, options);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
  return res.json();
}

function startServer(name: string, script: string, extraEnv: Record<string, string>, profile: boolean): BenchChild {
  // Node's own file names carry the thread id: tsx's loader hooks run in a worker thread that writes a profile too.
  const execArgv = ['--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `proxy-${process.pid}-${name}`)}`] : [])];
  return startChild(name, process.execPath, [...execArgv, script], { ...env, ...extraEnv });
}

/** The CPU the proxy, the service, PostgreSQL (its backends on the bench database) and the machine used while `work` ran. */
async function withCpu(proxyPids: () => number[], servicePid: number, work: () => Promise<SaturationResult>): Promise<Measured> {
  const proxyPidsNow = proxyPids();
  const databasePids = pidsWhoseCommandHas(database);
  const sample = () => ({ proxy: cpuMsByPid(proxyPidsNow), service: cpuMsByPid([servicePid]), database: cpuMsByPid(databasePids), machine: machineCpuMs(), at: performance.now() });
  const before = sample();
  const result = await work();
  const after = sample();
  const used = (key: 'proxy' | 'service' | 'database') => cpuMsBetween(before[key], after[key]);
  const proxyMs = proxyPidsNow.length === 0 ? 0 : used('proxy');
  const serviceMs = used('service');
  const databaseMs = databasePids.length === 0 ? 0 : used('database');
  const perRequest = (ms: number | undefined) => (ms === undefined || result.requests === 0 ? null : round((ms * 1000) / result.requests, 1));
  const cores = availableParallelism();
  const machineBusyCores = before.machine && after.machine && after.machine.totalMs > before.machine.totalMs
    ? ((after.machine.busyMs - before.machine.busyMs) / (after.machine.totalMs - before.machine.totalMs)) * cores : undefined;
  const elapsedMs = after.at - before.at;
  const ours = [proxyMs, serviceMs, databaseMs, result.generatorCpuMs ?? undefined];
  const othersCores = machineBusyCores !== undefined && ours.every((ms) => ms !== undefined)
    ? Math.max(0, machineBusyCores - ours.reduce((sum: number, ms) => sum + ms!, 0) / elapsedMs) : undefined;
  return {
    ...result,
    proxyCpuUsPerRequest: proxyPidsNow.length === 0 ? null : perRequest(proxyMs),
    serviceCpuUsPerRequest: perRequest(serviceMs),
    databaseCpuUsPerRequest: perRequest(databaseMs),
    generatorCpuUsPerRequest: perRequest(result.generatorCpuMs ?? undefined),
    machineBusyCores: machineBusyCores === undefined ? null : round(machineBusyCores, 2),
    othersCores: othersCores === undefined ? null : round(othersCores, 2),
  };
}

/** A run killed with SIGKILL never reaches its cleanup: the next one removes its temp dir (its database and Redis keys go with removeWhatKilledRunsLeft). */
async function removeTempDirsOfDeadRuns(): Promise<void> {
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const pid = Number(entry.slice(TEMP_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !isRunAlive(pid)) await rm(join(tmpdir(), entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** nginx on a free port (another one when the port was taken meanwhile); its error log explains a failed start. */
async function startReferenceNginx(binary: string, dir: string, upstreamPort: number, serviceToken: string): Promise<{ child: BenchChild; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const child = await startNginx(binary, { dir, listenPort: port, upstreamPort, serviceToken, keepalive: Number(UPSTREAM_CONNECTIONS) });
    children.push(child);
    try {
      await waitUntilServing(child, `http://127.0.0.1:${port}/healthz`, { timeoutMs: 15_000 });
      return { child, port };
    } catch (error) {
      await child.stop('SIGKILL');
      const errors = nginxErrors({ dir });
      if (attempt < 3 && /Address already in use/i.test(errors)) continue;
      throw new Error(`${(error as Error).message}\nnginx error log:\n${errors}`);
    }
  }
}

async function main(): Promise<void> {
  const wrk = hasWrk();
  const nginxBinary = findNginx();
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  await removeWhatKilledRunsLeft(serverUrl, redis);
  await removeTempDirsOfDeadRuns();
  tempDir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  if (profiling) await mkdir(profileDir, { recursive: true });
  await prepareDatabase(loadConfig(env), allModules, createLogger({ level: 'warn', pretty: false }));

  // ---- the monolith (front door) and the extracted product service, started side by side ----
  log(`bench:proxy  starting the monolith and the product service (NODE_ENV=production, LOG_LEVEL=${LOG_LEVEL}, DATABASE_POOL_MAX=${POOL_MAX}, UPSTREAM_CONNECTIONS=${UPSTREAM_CONNECTIONS})…`);
  const [monolith, service] = await Promise.all([
    startOnFreePort((port) => {
      const child = startServer('monolith', 'scripts/start.ts', { PORT: String(port) }, profiles.monolith);
      children.push(child);
      return child;
    }, (child, port) => waitUntilServing(child, `http://127.0.0.1:${port}/healthz`)),
    startOnFreePort((port) => {
      const child = startServer('product-service', 'extracted/product-service/main.ts', { SERVICE_PORT: String(port) }, profiles.service);
      children.push(child);
      return child;
    }, (child, port) => waitUntilServing(child, `http://127.0.0.1:${port}/healthz`)),
  ]);
  const monolithUrl = `http://127.0.0.1:${monolith.port}`;
  const serviceUrl = `http://127.0.0.1:${service.port}`;

  // ---- one product, then product routed remote at the front door ----
  const admin = (await json(monolithUrl, 'POST', '/api/v1/auth/login', { body: { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD } })).accessToken as string;
  const product = await json(monolithUrl, 'POST', '/api/v1/products', {
    token: admin, body: { sku: 'BENCH-PROXY-1', name: 'Proxy bench product', description: 'read through every proxy', priceCents: 1999, currency: 'EUR', stock: 1000 },
  });
  await json(monolithUrl, 'PUT', '/admin/routes/product', { token: admin, body: { mode: 'remote' } });
  const endpoints: Endpoint[] = [
    { key: 'databaseRead', label: 'GET /api/v1/products/:id (database read)', path: `/api/v1/products/${String(product.id)}`, expectStatus: 200 },
    { key: 'trivial', label: 'GET /api/v1/products/not-a-uuid (404, no query)', path: '/api/v1/products/not-a-uuid', expectStatus: 404 },
  ];
  const routedUntil = Date.now() + 20_000;
  for (;;) {
    const res = await call(monolithUrl, 'GET', endpoints[0]!.path);
    if (res.status === 200 && res.headers['x-served-by'] === 'product-service' && !res.headers['x-fallback']) break;
    if (Date.now() > routedUntil) throw new Error(`the front door does not send product to the service: ${res.status} served by ${String(res.headers['x-served-by'])}`);
    await new Promise((done) => setTimeout(done, 100));
  }

  // ---- the two reference proxies ----
  const token = await new ServiceTokens(BENCH_SECRETS.INTERNAL_TOKEN_SECRET, 'bench', TOKEN_TTL_SECONDS).tokenFor('product');
  const passThrough = await startOnFreePort((port) => {
    const child = startChild('pass-through', process.execPath, ['--import', 'tsx', 'scripts/bench/proxy-pass-through.ts'], {
      ...env, PORT: String(port), UPSTREAM_URL: serviceUrl, SERVICE_TOKEN: token, UPSTREAM_CONNECTIONS,
    });
    children.push(child);
    return child;
  }, (child, port) => waitUntilServing(child, `http://127.0.0.1:${port}/healthz`));
  let nginx: { child: BenchChild; port: number } | undefined;
  let nginxVersion = 'not installed';
  if (nginxBinary) {
    nginxVersion = (spawnSync(nginxBinary, ['-v'], { encoding: 'utf8' }).stderr ?? '').trim().replace(/^nginx version: /, '');
    nginx = await startReferenceNginx(nginxBinary, tempDir, service.port, token);
  } else {
    log('nginx is not installed (looked for NGINX_BIN and the usual places): the nginx reference is skipped');
  }

  const vias: Via[] = VIAS.filter((via) => via !== 'nginx' || nginx !== undefined);
  const origin: Record<Via, string> = {
    direct: serviceUrl, frontDoor: monolithUrl, nginx: nginx ? `http://127.0.0.1:${nginx.port}` : '', passThrough: `http://127.0.0.1:${passThrough.port}`,
  };
  const headersOf = (via: Via): Record<string, string> => (via === 'direct' ? { 'x-internal-token': token } : {});
  const target = (via: Via, endpoint: Endpoint): LoadTarget => ({ origin: origin[via], path: endpoint.path, headers: headersOf(via) });
  const proxyPids: Record<Via, () => number[]> = {
    direct: () => [], frontDoor: () => [monolith.child.pid], nginx: () => (nginx ? withChildren(nginx.child.pid) : []), passThrough: () => [passThrough.child.pid],
  };

  // ---- every via answers what the service answers, and the service is the one answering ----
  for (const endpoint of endpoints) {
    const reference = await call(serviceUrl, 'GET', endpoint.path, { headers: headersOf('direct') });
    for (const via of vias) {
      const res = await call(origin[via], 'GET', endpoint.path, { headers: headersOf(via) });
      const same = endpoint.expectStatus === 200 ? res.text === reference.text : res.json().code === reference.json().code;
      if (res.status !== endpoint.expectStatus || res.headers['x-served-by'] !== 'product-service' || !same) {
        throw new Error(`${via} ${endpoint.path}: ${res.status} served by ${String(res.headers['x-served-by'])}, expected ${endpoint.expectStatus} from product-service with the service's body: ${res.text.slice(0, 300)}`);
      }
    }
  }
  const fellBack = async () => {
    const states = (await json(monolithUrl, 'GET', '/admin/resilience', { token: admin })).items as { dependency: string; calls: { fellBack: number } }[];
    return states.find((state) => state.dependency === 'proxy.product')?.calls.fellBack ?? 0;
  };

  const script = wrk ? await prepareWrk(tempDir) : '';
  const saturate = (load: LoadTarget, seconds: number): Promise<SaturationResult> => (wrk
    ? runWrk(load, { connections: CONNECTIONS, threads: THREADS, seconds, script, onStart: (_pid, stop) => { stopWrk = stop; } })
    : runNodeLoad(load, { connections: CONNECTIONS, seconds, stop: stopAll.signal }));
  log(`bench:proxy  ${vias.map((via) => VIA_LABEL[via]).join(', ')}; ${wrk ? `wrk -t${THREADS}` : 'Node load (wrk not installed)'} -c${CONNECTIONS}, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s each, ${ROUNDS} round(s); then ${LOW_LOAD_REQUESTS} sequential requests each on one connection`);
  if (nginx === undefined) log('  (nginx skipped: not installed)');

  // ---- saturation, one measurement at a time ----
  const rounds = new Map<string, Measured[]>();
  for (let roundIndex = 0; roundIndex < ROUNDS; roundIndex += 1) {
    for (const endpoint of endpoints) {
      // a different order each round, so drift on a shared machine does not always hit the same via
      const order = vias.map((_, i) => vias[(i + roundIndex) % vias.length]!);
      for (const via of order) {
        if (stopAll.signal.aborted) return;
        const load = target(via, endpoint);
        await saturate(load, roundIndex === 0 ? WARMUP_SECONDS : Math.min(1, WARMUP_SECONDS));
        const fellBackBefore = via === 'frontDoor' ? await fellBack() : 0;
        const measured = await withCpu(proxyPids[via], service.child.pid, () => saturate(load, SECONDS));
        if (via === 'frontDoor') measured.fellBack = (await fellBack()) - fellBackBefore;
        const key = `${endpoint.key}:${via}`;
        rounds.set(key, [...(rounds.get(key) ?? []), measured]);
        const unexpected = endpoint.expectStatus === 200 ? measured.non2xx : measured.requests - measured.non2xx;
        log(`  ${endpoint.key.padEnd(12)} ${VIA_LABEL[via].padEnd(22)} ${String(Math.round(measured.rps)).padStart(6)} req/s  p50 ${measured.p50Ms.toFixed(2)} ms  p99 ${measured.p99Ms.toFixed(2)} ms`
          + `  CPU µs/req: proxy ${measured.proxyCpuUsPerRequest ?? '-'}, service ${measured.serviceCpuUsPerRequest ?? '-'}, postgres ${measured.databaseCpuUsPerRequest ?? '-'}, wrk ${measured.generatorCpuUsPerRequest ?? '-'}; others busy ${measured.othersCores ?? '-'} cores`
          + `${unexpected > 0 ? `  !! ${unexpected} answers other than ${endpoint.expectStatus}` : ''}${measured.socketErrors > 0 ? `  !! ${measured.socketErrors} socket errors` : ''}`
          + `${measured.fellBack ? `  !! ${measured.fellBack} served locally (fallback)` : ''}`);
      }
    }
  }
  // each via's best round: other work on the machine only ever slows a measurement down
  const best = (endpoint: EndpointKey, via: Via): Measured => [...rounds.get(`${endpoint}:${via}`)!].sort((a, b) => b.rps - a.rps)[0]!;

  // ---- what each process burns with no traffic at all (relays, refreshes, sweeps): charged to low-load requests otherwise ----
  const idlePids: Record<Via, () => number[]> = { ...proxyPids, direct: () => [service.child.pid] };
  const idleBefore = new Map(vias.map((via) => [via, cpuMsByPid(idlePids[via]())]));
  const idleStarted = performance.now();
  await new Promise((done) => setTimeout(done, IDLE_SAMPLE_MS));
  const idleElapsed = performance.now() - idleStarted;
  /** share of one core each via's processes use while idle */
  const idleShare = new Map(vias.map((via) => {
    const used = cpuMsBetween(idleBefore.get(via)!, cpuMsByPid(idlePids[via]()));
    return [via, used === undefined ? 0 : used / idleElapsed];
  }));
  log(`  idle CPU with no traffic: ${vias.map((via) => `${via === 'direct' ? 'product service' : VIA_LABEL[via]} ${(idleShare.get(via)! * 100).toFixed(1)}%`).join(', ')} of a core`);

  // ---- low load: one connection each, sequential, the vias taking turns ----
  const lowLoad = new Map<EndpointKey, Map<string, SequentialResult>>();
  for (const endpoint of endpoints) {
    if (stopAll.signal.aborted) return;
    lowLoad.set(endpoint.key, await sequentialLatencies(
      vias.map((via) => ({ name: via, ...target(via, endpoint), expectStatus: endpoint.expectStatus, cpuPids: via === 'direct' ? () => [service.child.pid] : proxyPids[via] })),
      { requests: LOW_LOAD_REQUESTS, warmup: LOW_LOAD_WARMUP, block: LOW_LOAD_BLOCK, stop: stopAll.signal },
    ));
  }

  // ---- results ----
  const details = {} as Record<EndpointKey, EndpointDetail>;
  for (const endpoint of endpoints) {
    const direct = best(endpoint.key, 'direct');
    const samples = lowLoad.get(endpoint.key)!;
    const directP50 = percentiles(samples.get('direct')!.latenciesMs).p50;
    const detail: EndpointDetail = { path: endpoint.path, expectStatus: endpoint.expectStatus, saturation: {}, lowLoad: {} };
    for (const via of vias) {
      const measured = best(endpoint.key, via);
      detail.saturation[via] = {
        rps: round(measured.rps), ofDirect: round(measured.rps / direct.rps, 3), p50Ms: round(measured.p50Ms, 2), p90Ms: round(measured.p90Ms, 2),
        p99Ms: round(measured.p99Ms, 2), maxMs: round(measured.maxMs, 2), requests: measured.requests, seconds: round(measured.seconds, 2),
        non2xx: measured.non2xx, socketErrors: measured.socketErrors,
        proxyCpuUsPerRequest: measured.proxyCpuUsPerRequest, serviceCpuUsPerRequest: measured.serviceCpuUsPerRequest, databaseCpuUsPerRequest: measured.databaseCpuUsPerRequest, generatorCpuUsPerRequest: measured.generatorCpuUsPerRequest,
        machineBusyCores: measured.machineBusyCores, othersCores: measured.othersCores,
        ...(measured.fellBack === undefined ? {} : { fellBack: measured.fellBack }),
        ...(ROUNDS > 1 ? { roundsRps: rounds.get(`${endpoint.key}:${via}`)!.map((m) => round(m.rps)), roundsOthersCores: rounds.get(`${endpoint.key}:${via}`)!.map((m) => m.othersCores) } : {}),
      };
      const low = samples.get(via)!;
      const stats = percentiles(low.latenciesMs);
      detail.lowLoad[via] = {
        requests: low.latenciesMs.length, p50Ms: round(stats.p50, 3), p99Ms: round(stats.p99, 3), addedP50Ms: round(stats.p50 - directP50, 3),
        ...(via === 'direct' ? { serviceCpuUsPerRequest: low.cpuUsPerRequest } : { proxyCpuUsPerRequest: low.cpuUsPerRequest }),
        idleCpuShare: round(idleShare.get(via)!, 3),
        ...(low.cpuUsPerRequest === null ? {} : {
          [via === 'direct' ? 'serviceCpuUsPerRequestLessIdle' : 'proxyCpuUsPerRequestLessIdle']:
            round(low.cpuUsPerRequest - (idleShare.get(via)! * low.blocksMs * 1000) / low.latenciesMs.length, 1),
        }),
      };
    }
    details[endpoint.key] = detail;
  }
  const rps = (endpoint: EndpointKey, via: Via) => details[endpoint].saturation[via]?.rps ?? null;
  const ratio = (endpoint: EndpointKey, via: Via) => {
    const value = rps(endpoint, via);
    return value === null ? null : round(value / rps(endpoint, 'direct')!, 3);
  };
  const addedP50Ms = details.databaseRead.lowLoad.frontDoor!.addedP50Ms;
  const met = {
    frontDoorBeatsPassThroughOnDatabaseRead: rps('databaseRead', 'frontDoor')! > rps('databaseRead', 'passThrough')!,
    frontDoorBeatsPassThroughOnTrivial: rps('trivial', 'frontDoor')! > rps('trivial', 'passThrough')!,
    ratioAtLeast075: ratio('databaseRead', 'frontDoor')! >= 0.75,
    addedP50Below05Ms: addedP50Ms < 0.5,
  };
  const result = {
    directRps: rps('databaseRead', 'direct'), proxyRps: rps('databaseRead', 'frontDoor'), nginxRps: rps('databaseRead', 'nginx'), passThroughRps: rps('databaseRead', 'passThrough'),
    ratio: ratio('databaseRead', 'frontDoor'), trivialRatio: ratio('trivial', 'frontDoor'), passThroughRatio: ratio('databaseRead', 'passThrough'),
    trivialPassThroughRatio: ratio('trivial', 'passThrough'), nginxRatio: ratio('databaseRead', 'nginx'), trivialNginxRatio: ratio('trivial', 'nginx'),
    addedP50Ms,
    targets: { frontDoorBeatsPassThrough: true, ratioAtLeast: 0.75, addedP50MsBelow: 0.5, met },
    endpoints: details,
    settings: {
      generator: wrk ? `wrk -t${THREADS} -c${CONNECTIONS}` : `node closed loop, ${CONNECTIONS} connections`, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, rounds: ROUNDS,
      lowLoadRequests: LOW_LOAD_REQUESTS, nodeEnv: 'production', logLevel: LOG_LEVEL, databasePoolMax: Number(POOL_MAX), upstreamConnections: Number(UPSTREAM_CONNECTIONS),
      nginx: nginxVersion, node: process.version, cores: availableParallelism(), profiled: profiling ? PROFILE : false,
    },
    measuredAt: new Date().toISOString(),
  };

  const rows = endpoints.flatMap((endpoint) => vias.map((via) => {
    const saturation = details[endpoint.key].saturation[via]!;
    const low = details[endpoint.key].lowLoad[via]!;
    return {
      endpoint: endpoint.key, via: VIA_LABEL[via], 'req/s': saturation.rps, 'of direct': `${Math.round(saturation.ofDirect * 100)}%`,
      'p50 ms': saturation.p50Ms, 'p99 ms': saturation.p99Ms, 'proxy CPU µs/req': saturation.proxyCpuUsPerRequest ?? '-', 'service CPU µs/req': saturation.serviceCpuUsPerRequest ?? '-',
      'others busy (cores)': saturation.othersCores ?? '-',
      '1-conn p50 ms': low.p50Ms, '1-conn p99 ms': low.p99Ms, 'added p50 ms': via === 'direct' ? '-' : low.addedP50Ms,
      '1-conn proxy CPU µs/req (less idle)': low.proxyCpuUsPerRequestLessIdle ?? '-',
    };
  }));
  console.table(rows);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  log(`front door beats the undici pass-through: database read ${verdict(met.frontDoorBeatsPassThroughOnDatabaseRead)} (${result.proxyRps} vs ${result.passThroughRps} req/s), trivial ${verdict(met.frontDoorBeatsPassThroughOnTrivial)} (${rps('trivial', 'frontDoor')} vs ${rps('trivial', 'passThrough')} req/s)`);
  log(`front door keeps ≥ 75% of direct on the database read: ${verdict(met.ratioAtLeast075)} (${Math.round(result.ratio! * 100)}%; trivial ${Math.round(result.trivialRatio! * 100)}%; nginx ${result.nginxRatio === null ? 'skipped' : `${Math.round(result.nginxRatio * 100)}%`}; pass-through ${Math.round(result.passThroughRatio! * 100)}%)`);
  log(`front door adds < 0.5 ms at p50, one connection: ${verdict(met.addedP50Below05Ms)} (${addedP50Ms} ms on the database read, ${details.trivial.lowLoad.frontDoor!.addedP50Ms} ms on the trivial one)`);

  await mkdir(resolve(repoRoot, 'bench-results'), { recursive: true });
  const file = profiling ? 'bench-results/proxy-profiled.json' : 'bench-results/proxy.json';
  await writeFile(resolve(repoRoot, file), `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${file}${profiling ? ' (profiled: figures are slower than an unprofiled run; bench-results/proxy.json left as it was)' : ''}`);

  if (profiling) {
    // the profiles are written when the processes exit
    await Promise.all([monolith.child, service.child].map((child) => child.stop()));
    for (const name of ['monolith', 'product-service'] as const) {
      if (!(name === 'monolith' ? profiles.monolith : profiles.service)) continue;
      const dir = join(profileDir, `proxy-${process.pid}-${name}`);
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread, where requests are served
      const file = (await readdir(dir).catch(() => [] as string[])).find((entry) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(entry));
      if (!file) { log(`no CPU profile of the ${name}'s main thread was written in ${dir}`); continue; }
      const summary = await summariseProfile(join(dir, file), 20);
      log(`\nCPU profile of the ${name} (main thread, ${join(dir, file)}):\n${formatSummary(summary)}`);
      await writeFile(resolve(repoRoot, `bench-results/proxy-profile-${name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
    }
  }
}

try {
  await main();
} finally {
  await cleanup();
}
