/**
 * `npm run bench:saga`, on this machine in one run: the same 4-step saga (one INSERT per step,
 * see four-step-saga.ts) on
 *  - ours: our durable saga engine, hosted in a bench-only module through createPlatform;
 *    each step's INSERT commits with its checkpoint; finish observed with onSettled;
 *  - DBOS: a DBOS Transact workflow whose steps INSERT through a pg.Pool into a bench
 *    database, checkpointed by DBOS in its system database on the same server.
 * Both run under the same closed loop (callers that each start a saga, wait for it to
 * finish, start the next). After a warm-up of each, the measured time is cut into rounds
 * that alternate the sides (ours, DBOS, DBOS, ours, …): on a shared machine the load of
 * other processes then falls on both alike, which one long phase each would not ensure.
 * Both engines stay up throughout; the idle one only polls now and then.
 * Latency is start → finished, percentiles from raw samples. Writes bench-results/saga.json.
 *
 * Knobs: BENCH_SAGA_CALLERS (50), BENCH_SAGA_SECONDS (10 per side), BENCH_SAGA_ROUNDS (2),
 * BENCH_SAGA_WARMUP_SECONDS (3), BENCH_SAGA_POOL (20: our module's pool; DBOS's system
 * pool and its steps' pool each).
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { Redis } from 'ioredis';
import { mkdir, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createPlatform } from '../../src/app/platform.js';
import { prepareDatabase } from '../../src/app/prepare-database.js';
import { loadConfig } from '../../src/config/config.js';
import { withDatabase } from '../../src/db/database-url.js';
import { schemaOwner } from '../../src/db/module-role.js';
import { dropDatabase, ensureDatabase } from '../../src/db/provision.js';
import { createLogger } from '../../src/observability/logger.js';
import type { SagaRecord } from '../../src/saga/saga-store.js';
import { deleteRedisKeys } from '../../src/testing/redis-keys.js';
import { BENCH_DATABASE_PREFIX, BENCH_REDIS_PREFIX, BENCH_SECRETS, removeWhatKilledRunsLeft } from './bench-run.js';
import { closedLoop, combined, type LoopResult } from './closed-loop.js';
import { benchSagaModule, effectsTableSql, fourStepSaga, registerFourStepWorkflow, STEPS, type OrderInput } from './four-step-saga.js';
import { percentiles, round } from './percentiles.js';

const CALLERS = Number(process.env.BENCH_SAGA_CALLERS ?? 50);
const SECONDS = Number(process.env.BENCH_SAGA_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_SAGA_ROUNDS ?? 2);
const WARMUP_SECONDS = Number(process.env.BENCH_SAGA_WARMUP_SECONDS ?? 3);
const POOL = Number(process.env.BENCH_SAGA_POOL ?? 20);
const SETTLE_TIMEOUT_MS = 30_000;
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// The events bench's prefixes: either bench removes what a killed run of the other left.
const databases = { ours: `${BENCH_DATABASE_PREFIX}${process.pid}_saga`, dbosApp: `${BENCH_DATABASE_PREFIX}${process.pid}_dbos_app`, dbosSystem: `${BENCH_DATABASE_PREFIX}${process.pid}_dbos_sys` };
const prefix = `${BENCH_REDIS_PREFIX}${process.pid}`;

/** What to undo, newest first: run once, at the end or on Ctrl-C, each undo on its own. */
const undos: (() => Promise<unknown>)[] = [];
let tornDown: Promise<void> | undefined;
const tearDown = () => (tornDown ??= (async () => {
  for (const undo of undos.reverse()) await undo().catch((error: unknown) => process.stderr.write(`clean-up: ${String(error)}\n`));
})());
const interrupted = new AbortController();
process.once('SIGINT', () => {
  process.stdout.write('\ninterrupted: removing the bench databases and queues\n');
  interrupted.abort();
  void tearDown().finally(() => process.exit(130));
});

/** Runs `work` once however often it is called (a side closes before the teardown closes it again). */
const once = (work: () => Promise<unknown>) => { let done: Promise<unknown> | undefined; return () => (done ??= work()); };

async function sql<T extends pg.QueryResultRow>(database: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, database), application_name: 'commerce:bench-admin' });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}


/** A saga that never settles would hang the bench: fail it loudly instead. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const orderInput = (): OrderInput => ({ orderId: uuidv7(), amountCents: 1999 });

/** What a side's tables hold once it has stopped. */
interface Persisted {
  sagas: number;
  completed: number;
  /** step checkpoints written, all sagas together */
  checkpoints: number;
  effectRows: number;
  sagasWithEffects: number;
}

interface Side {
  name: 'ours' | 'dbos';
  /** runs one saga from start to finish */
  run(): Promise<void>;
  close(): Promise<unknown>;
  persisted(): Promise<Persisted>;
  settings: Record<string, number | string>;
  /** written after every step, and per saga; both resume after kill -9 */
  writes: { perStep: string; perSaga: string };
}

async function startOurs(): Promise<Side> {
  const config = loadConfig({
    ...process.env, NODE_ENV: 'production', DATABASE_URL: withDatabase(serverUrl, databases.ours), REDIS_PREFIX: prefix, LOG_LEVEL: 'warn',
    ...BENCH_SECRETS,
    DATABASE_POOL_MAX: String(POOL), SAGA_CONCURRENCY: process.env.SAGA_CONCURRENCY ?? String(CALLERS),
  });
  const log = createLogger({ level: 'warn', pretty: false });
  // Our own connection for the clean-up: the queues' keys are removed after the workers have stopped.
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true });
  await redis.connect();
  undos.push(() => redis.quit(), () => deleteRedisKeys(redis, `${prefix}:*`));
  await removeWhatKilledRunsLeft(serverUrl, redis);

  undos.push(() => dropDatabase(serverUrl, databases.ours));
  await prepareDatabase(config, [benchSagaModule], log);
  // The steps' table, created as superuser and handed to the module's role like its own tables.
  const owner = schemaOwner(benchSagaModule.schema, { prefix: config.DATABASE_ROLE_PREFIX, secret: config.DATABASE_ROLE_SECRET });
  await sql(databases.ours, `${effectsTableSql(`"${owner.schema}".effects`)}; ALTER TABLE "${owner.schema}".effects OWNER TO ${pg.escapeIdentifier(owner.role)}`);

  const platform = createPlatform({ config, log, modules: [benchSagaModule] });
  const close = once(() => platform.close());
  undos.push(close);
  await platform.start();
  const sagas = platform.modules[0]!.container.cradle.sagas;

  // Finish is pushed by the engine (onSettled), never polled; the id is chosen up front so
  // the waiter exists before the saga can possibly finish.
  const waiting = new Map<string, (saga: SagaRecord) => void>();
  sagas.onSettled((saga) => waiting.get(saga.id)?.(saga));
  return {
    name: 'ours',
    async run() {
      const id = uuidv7();
      const settled = new Promise<SagaRecord>((resolve) => waiting.set(id, resolve));
      await sagas.start(undefined, fourStepSaga, { id, input: orderInput() });
      const saga = await within(SETTLE_TIMEOUT_MS, settled, `saga ${id} did not settle`);
      waiting.delete(id);
      if (saga.status !== 'COMPLETED') throw new Error(`saga ${id} ended ${saga.status}: ${saga.lastError}`);
    },
    close,
    async persisted() {
      const [row] = await sql<Persisted>(databases.ours, `SELECT
        (SELECT count(*)::int FROM bench_saga.sagas) AS sagas,
        (SELECT count(*)::int FROM bench_saga.sagas WHERE status = 'COMPLETED') AS completed,
        (SELECT coalesce(sum(version - 1), 0)::int FROM bench_saga.sagas) AS checkpoints,
        (SELECT count(*)::int FROM bench_saga.effects) AS "effectRows",
        (SELECT count(DISTINCT saga_id)::int FROM bench_saga.effects) AS "sagasWithEffects"`);
      return row!;
    },
    settings: { sagaConcurrency: config.SAGA_CONCURRENCY, checkpointTransactions: config.SAGA_TRANSACTIONS, leaseMs: config.SAGA_LEASE_MS, sweepMs: config.SAGA_SWEEP_MS, poolMax: config.DATABASE_POOL_MAX },
    writes: {
      perStep: 'effect row INSERT + UPDATE of the sagas row (step, version; state when changed): one transaction, one commit, shared with the steps of other sagas ready at the same moment (one UPDATE for all their checkpoints)',
      perSaga: 'sagas row INSERT at start, already leased to this process (starts arriving together share one INSERT and its commit); no claim, no Redis round trip; a crashed worker\'s lease runs out and the sweep wakes the saga',
    },
  };
}

async function startDbos(): Promise<Side> {
  undos.push(() => dropDatabase(serverUrl, databases.dbosApp), () => dropDatabase(serverUrl, databases.dbosSystem));
  await ensureDatabase(withDatabase(serverUrl, databases.dbosApp));
  await sql(databases.dbosApp, effectsTableSql('effects'));
  const pool = new pg.Pool({ connectionString: withDatabase(serverUrl, databases.dbosApp), max: POOL, application_name: 'commerce:bench-dbos-steps' });
  const workflow = registerFourStepWorkflow(pool);
  // DBOS creates and migrates its system database itself.
  DBOS.setConfig({ name: 'bench-saga', systemDatabaseUrl: withDatabase(serverUrl, databases.dbosSystem), systemDatabasePoolSize: POOL, logLevel: 'error' });
  const close = once(async () => {
    await DBOS.shutdown();
    await pool.end();
  });
  undos.push(close);
  // pg prints a DeprecationWarning on this side: DBOS's system pool queues a SET on each new connection.
  await DBOS.launch();
  return {
    name: 'dbos',
    run: () => workflow(orderInput()),
    close,
    async persisted() {
      const [system] = await sql<{ sagas: number; completed: number; checkpoints: number }>(databases.dbosSystem, `SELECT
        (SELECT count(*)::int FROM dbos.workflow_status) AS sagas,
        (SELECT count(*)::int FROM dbos.workflow_status WHERE status = 'SUCCESS') AS completed,
        (SELECT count(*)::int FROM dbos.operation_outputs) AS checkpoints`);
      const [app] = await sql<{ effectRows: number; sagasWithEffects: number }>(databases.dbosApp,
        'SELECT count(*)::int AS "effectRows", count(DISTINCT saga_id)::int AS "sagasWithEffects" FROM effects');
      return { ...system!, ...app! };
    },
    settings: { version: '@dbos-inc/dbos-sdk 5.3.0', systemDatabasePoolSize: POOL, stepPoolMax: POOL },
    writes: {
      perStep: 'effect row INSERT (own commit, bench database) + operation_outputs row INSERT (own commit, system database)',
      perSaga: 'workflow_status and workflow_input rows at start, status UPDATE and workflow_output row at the end; DBOS.launch() recovers the pending workflows of its executor',
    },
  };
}

/** Every saga ran each step exactly once and finished: otherwise the rates mean nothing. */
function check(side: Side, persisted: Persisted, ran: number): void {
  const expected: Persisted = { sagas: ran, completed: ran, checkpoints: ran * STEPS.length, effectRows: ran * STEPS.length, sagasWithEffects: ran };
  const wrong = (Object.keys(expected) as (keyof Persisted)[]).filter((key) => persisted[key] !== expected[key]);
  if (wrong.length > 0) throw new Error(`${side.name}: ${wrong.map((key) => `${key} ${persisted[key]}, expected ${expected[key]}`).join('; ')}`);
}

async function main(): Promise<void> {
  process.stdout.write(`bench:saga  ${STEPS.length} steps (one INSERT each), ${CALLERS} callers, warm-up ${WARMUP_SECONDS} s, `
    + `measured ${SECONDS} s per side in ${ROUNDS} alternating rounds, pools of ${POOL}\n`);
  const sides = [await startOurs(), await startDbos()];
  const ran = new Map(sides.map((side) => [side, 0]));
  const slices = new Map<Side, LoopResult[]>(sides.map((side) => [side, []]));
  const measure = async (side: Side, seconds: number) => {
    const slice = await closedLoop(CALLERS, seconds, side.run, interrupted.signal);
    ran.set(side, ran.get(side)! + slice.completed);
    return slice;
  };
  for (const side of sides) await measure(side, WARMUP_SECONDS);
  for (let round = 0; round < ROUNDS; round++) {
    // ABBA order: neither side always goes first.
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) slices.get(side)!.push(await measure(side, SECONDS / ROUNDS));
  }
  const report = [];
  for (const side of sides) {
    await side.close();
    const persisted = await side.persisted();
    check(side, persisted, ran.get(side)!);
    const measured = combined(slices.get(side)!);
    report.push({ side, persisted, measured, latency: percentiles(measured.latenciesMs), rounds: slices.get(side)!.map((slice) => round(slice.perSec)) });
  }
  const [ours, dbos] = report as [typeof report[0], typeof report[0]];

  const result = {
    oursPerSec: round(ours.measured.perSec), dbosPerSec: round(dbos.measured.perSec), ratio: round(ours.measured.perSec / dbos.measured.perSec, 3),
    oursP50Ms: round(ours.latency.p50, 2), oursP99Ms: round(ours.latency.p99, 2), dbosP50Ms: round(dbos.latency.p50, 2), dbosP99Ms: round(dbos.latency.p99, 2),
    oursP95Ms: round(ours.latency.p95, 2), oursMaxMs: round(ours.latency.max, 2), dbosP95Ms: round(dbos.latency.p95, 2), dbosMaxMs: round(dbos.latency.max, 2),
    concurrency: CALLERS, steps: STEPS.length, measuredSecondsPerSide: SECONDS, rounds: ROUNDS, warmUpSeconds: WARMUP_SECONDS,
    oursCount: ours.measured.completed, dbosCount: dbos.measured.completed,
    oursCpuMsPerSaga: round(ours.measured.cpuMs / ours.measured.completed, 2), dbosCpuMsPerSaga: round(dbos.measured.cpuMs / dbos.measured.completed, 2),
    oursPerSecByRound: ours.rounds, dbosPerSecByRound: dbos.rounds,
    ours: { settings: ours.side.settings, persisted: ours.persisted, writes: ours.side.writes },
    dbos: { settings: dbos.side.settings, persisted: dbos.persisted, writes: dbos.side.writes },
    measuredAt: new Date().toISOString(),
  };
  const perSaga = (side: typeof ours, count: number) => round(count / side.persisted.sagas, 2);
  console.table([
    { measure: 'sagas/s', ours: result.oursPerSec, dbos: result.dbosPerSec },
    { measure: 'sagas/s by round', ours: ours.rounds.join(' / '), dbos: dbos.rounds.join(' / ') },
    { measure: 'start→finished p50 ms', ours: result.oursP50Ms, dbos: result.dbosP50Ms },
    { measure: 'p95 ms', ours: result.oursP95Ms, dbos: result.dbosP95Ms },
    { measure: 'p99 ms', ours: result.oursP99Ms, dbos: result.dbosP99Ms },
    // On 2 cores the process competes with PostgreSQL for CPU: what a saga costs here matters.
    { measure: 'CPU ms per saga, this process', ours: result.oursCpuMsPerSaga, dbos: result.dbosCpuMsPerSaga },
    { measure: 'sagas measured (all, with warm-up)', ours: `${ours.measured.completed} (${ours.persisted.sagas})`, dbos: `${dbos.measured.completed} (${dbos.persisted.sagas})` },
    { measure: 'step checkpoints per saga', ours: perSaga(ours, ours.persisted.checkpoints), dbos: perSaga(dbos, dbos.persisted.checkpoints) },
    { measure: 'effect rows per saga', ours: perSaga(ours, ours.persisted.effectRows), dbos: perSaga(dbos, dbos.persisted.effectRows) },
  ]);
  process.stdout.write([
    `ratio ours/dbos: ${result.ratio}`,
    'written after every step (both resume after kill -9):',
    ...report.flatMap(({ side }) => [`  ${side.name.padEnd(4)} per step: ${side.writes.perStep}`, `       per saga: ${side.writes.perSaga}`]),
    '',
  ].join('\n'));
  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/saga.json', `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write('wrote bench-results/saga.json\n');
}

try {
  await main();
} finally {
  await tearDown();
}
