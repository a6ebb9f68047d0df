import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { eventually } from '../testing/eventually.js';
import { provisionTestSite, type TestSite } from '../testing/test-processes.js';
import { registerSingletonMetrics, SINGLETON_LOCK_NAMESPACE, singletonLockKey, SingletonWork } from './singleton-work.js';

/**
 * The lock itself: two SingletonWork instances in one process, each with its own
 * connection, stand in for two processes. Real PostgreSQL, a database of this file's own.
 */
const RETRY_MS = 300;
const log = createLogger({ level: 'silent', pretty: false });

let site: TestSite;
let admin: pg.Client;
const made: SingletonWork[] = [];

beforeAll(async () => {
  site = await provisionTestSite();
  admin = new pg.Client({ connectionString: site.databaseUrl });
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(made.splice(0).map((work) => work.stop()));
});
afterAll(async () => {
  await admin?.end();
  await site?.close();
});

/** An instance with a run counter per work; `instance` is also its connection's application_name. */
function instance(name: string, works: readonly string[], intervalMs = 50) {
  const singletons = new SingletonWork({ url: site.databaseUrl, retryMs: RETRY_MS, log, instance: `${name}-${randomUUID().slice(0, 8)}` });
  const runs = new Map<string, number>(works.map((work) => [work, 0]));
  for (const work of works) singletons.every(work, intervalMs, async () => { runs.set(work, runs.get(work)! + 1); });
  made.push(singletons);
  return { singletons, runs };
}

/** Backends holding our lock for `work`, by application_name. */
async function holders(work: string): Promise<string[]> {
  const { rows } = await admin.query<{ application_name: string }>(
    `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2`,
    [SINGLETON_LOCK_NAMESPACE, singletonLockKey(work)]);
  return rows.map((row) => row.application_name);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** `promise`, or a failure after `ms` */
const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => Promise.race([
  promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
]);

/** Two instances sharing one work, started in turn: the first leads it. */
async function twoInstancesLedByA() {
  const work = `job-${randomUUID()}`;
  const a = instance('a', [work]);
  const b = instance('b', [work]);
  await a.singletons.start();
  await b.singletons.start();
  expect(a.singletons.isLeading(work)).toBe(true);
  return { work, a, b };
}

describe('SingletonWork', () => {
  it('derives a stable lock key per name', () => {
    expect(singletonLockKey('outbox-prune:user')).toBe(singletonLockKey('outbox-prune:user'));
    expect(singletonLockKey('outbox-prune:user')).not.toBe(singletonLockKey('outbox-prune:order'));
    expect(singletonLockKey('x')).toBeGreaterThanOrEqual(0);
    expect(singletonLockKey('x')).toBeLessThan(2 ** 31);
  });

  it('one of two instances leads and runs the work; when its connection ends, the other leads within the retry interval', async () => {
    const { work, a, b } = await twoInstancesLedByA();
    expect(b.singletons.isLeading(work)).toBe(false);
    expect(await holders(work)).toEqual([`singleton:${a.singletons.instance}`]);

    await pause(3 * RETRY_MS);
    expect(a.runs.get(work)).toBeGreaterThan(2);
    expect(b.runs.get(work), 'the follower never runs the work').toBe(0);
    expect(b.singletons.isLeading(work)).toBe(false);

    // End the leader's connection from the server's side, as a dead process or network would.
    const aStopped = new Promise<number>((resolve) => a.singletons.onChange((name, leading) => { if (name === work && !leading) resolve(performance.now()); }));
    const bLeads = new Promise<number>((resolve) => b.singletons.onChange((name, leading) => { if (name === work && leading) resolve(performance.now()); }));
    const endedAt = performance.now();
    const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [`singleton:${a.singletons.instance}`]);
    expect(rows).toEqual([{ ok: true }]);

    const stoppedAfter = (await within(aStopped, 2_000, 'the leader noticing')) - endedAt;
    expect(stoppedAfter, 'a connection error ends leadership at once, before any retry').toBeLessThan(RETRY_MS);
    const takenOverAfter = (await within(bLeads, 2_000, 'the take-over')) - endedAt;
    expect(takenOverAfter, 'the follower takes over within its retry interval').toBeLessThan(RETRY_MS + 250);

    const runsOfA = a.runs.get(work)!;
    await eventually(() => expect(b.runs.get(work)).toBeGreaterThan(0), 2_000, 20);
    // The old leader reconnects and follows: never two leaders.
    await pause(3 * RETRY_MS);
    expect(a.singletons.isLeading(work)).toBe(false);
    expect(b.singletons.isLeading(work)).toBe(true);
    expect(a.runs.get(work), 'no run after leadership ended').toBe(runsOfA);
    expect(await holders(work)).toEqual([`singleton:${b.singletons.instance}`]);
  });

  it('a leader that stops hands over: the follower leads within the retry interval', async () => {
    const { work, a, b } = await twoInstancesLedByA();

    const stoppedAt = performance.now();
    await a.singletons.stop();
    await eventually(() => expect(b.singletons.isLeading(work)).toBe(true), RETRY_MS + 500, 10);
    expect(performance.now() - stoppedAt).toBeLessThan(RETRY_MS + 500);
    expect(a.singletons.isLeading(work)).toBe(false);
    expect(await holders(work)).toEqual([`singleton:${b.singletons.instance}`]);
  });

  it('leads each work name on its own: works spread over instances', async () => {
    const [first, second] = [`job-${randomUUID()}`, `job-${randomUUID()}`];
    const a = instance('a', [first]);
    const b = instance('b', [first, second]);
    await a.singletons.start();
    await b.singletons.start();
    expect(a.singletons.leadership()).toEqual([{ work: first, leading: true, since: expect.any(String) }]);
    expect(b.singletons.leadership()).toEqual([
      { work: first, leading: false, since: null },
      { work: second, leading: true, since: expect.any(String) },
    ]);
    // A work declared after start is tried at once.
    const third = `job-${randomUUID()}`;
    a.singletons.every(third, 50, async () => undefined);
    await eventually(() => expect(a.singletons.isLeading(third)).toBe(true), RETRY_MS, 10);
    expect(() => a.singletons.every(third, 50, async () => undefined)).toThrow(/declared twice/);
  });

  it('a run that throws is logged and tried again at the next interval', async () => {
    const work = `job-${randomUUID()}`;
    const singletons = new SingletonWork({ url: site.databaseUrl, retryMs: RETRY_MS, log });
    made.push(singletons);
    let calls = 0;
    singletons.every(work, 30, async () => { calls += 1; throw new Error('boom'); });
    await singletons.start();
    await eventually(() => expect(calls).toBeGreaterThan(2), 2_000, 10);
  });

  it('starts without failing while the database cannot be reached (and keeps trying)', async () => {
    const work = `job-${randomUUID()}`;
    const unreachable = new SingletonWork({ url: 'postgres://postgres@127.0.0.1:1/none', retryMs: RETRY_MS, log });
    made.push(unreachable);
    unreachable.every(work, 50, async () => undefined);
    await unreachable.start();
    expect(unreachable.isLeading(work)).toBe(false);
  });

  it('exports singleton_leader{work} as 1 on the leader and 0 on the follower', async () => {
    const work = `job-${randomUUID()}`;
    const a = instance('a', [work]);
    const b = instance('b', [work]);
    await a.singletons.start();
    await b.singletons.start();
    const gauge = async (singletons: SingletonWork) => {
      const registry = new Registry();
      registerSingletonMetrics(registry, singletons);
      return registry.metrics();
    };
    expect(await gauge(a.singletons)).toContain(`singleton_leader{work="${work}"} 1`);
    expect(await gauge(b.singletons)).toContain(`singleton_leader{work="${work}"} 0`);
  });
});
