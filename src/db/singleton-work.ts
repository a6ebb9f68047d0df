import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';

/**
 * First key of every singleton lock (`pg_try_advisory_lock(int, int)`, 'cmsw'). The two-key
 * form lives apart from the one-key (bigint) advisory locks that modules take, so the two
 * can never meet, and an operator finds ours in `pg_locks` by `classid`.
 */
export const SINGLETON_LOCK_NAMESPACE = 0x636d_7377;

/** The second lock key of a singleton work: 31 bits of SHA-256 of its name (stable across processes and releases). */
export function singletonLockKey(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) & 0x7fff_ffff;
}

export interface SingletonWorkParts {
  /** a direct (session) connection to the database every instance shares; any role will do (advisory locks need no grant) */
  url: string;
  /** a follower tries to take the lead this often; a leader re-checks that it still holds its locks as often */
  retryMs: number;
  log: Logger;
  /** who this process is, in logs and in `pg_stat_activity.application_name` (default `<pid>@<host>`) */
  instance?: string;
}

export interface Leadership {
  work: string;
  leading: boolean;
  /** when this instance took the lead (ISO), while it leads */
  since: string | null;
}

interface Work {
  name: string;
  key: number;
  intervalMs: number;
  run: () => Promise<unknown>;
  leading: boolean;
  since: Date | null;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}

/** Locks this session holds among `$2`, and an attempt at every other one. One round trip per check. */
const CHECK_SQL = `
  SELECT key, CASE WHEN key = ANY($3::int[])
    THEN EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                   AND l.classid = $1::int::oid AND l.objid = key::oid AND l.objsubid = 2)
    ELSE pg_try_advisory_lock($1::int, key) END AS held
  FROM unnest($2::int[]) AS key`;

/**
 * Work that must run on one instance at a time (outbox pruning, dead-letter re-drives):
 * one leader per work name across every process on the database, elected with
 * `pg_try_advisory_lock` on a connection of its own (a plain `pg.Client`, never a pool's)
 * that stays open while this process leads. The lock is the session's: when the process
 * or its connection dies, PostgreSQL drops it, and a follower, trying again every
 * `retryMs`, takes over. A connection error ends leadership at once (before the next
 * attempt), and the instance that lost it tries again only after two intervals, so a
 * follower with a sound connection wins. A leader re-reads `pg_locks` every `retryMs`,
 * which doubles as a liveness check of its connection.
 *
 * Leadership saves duplicate work; it is not what keeps the work correct. For a moment a
 * leader whose session the server already dropped may still believe it leads (until its
 * next check), so singleton work must stay safe when it overlaps (SKIP LOCKED, idempotent
 * deletes), as pruning and re-drives are.
 *
 * Needs a session-level connection: behind a pooler in transaction mode, a session lock
 * would outlive or escape the client that took it.
 * @example const singletons = new SingletonWork({ url, retryMs: 5_000, log });
 *          singletons.every('outbox-prune:user', 60_000, () => relay.prune()); await singletons.start()
 */
export class SingletonWork {
  readonly instance: string;
  private readonly works = new Map<string, Work>();
  private readonly listeners = new Set<(work: string, leading: boolean) => void>();
  private client: pg.Client | undefined;
  private started = false;
  private checkTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /** the last connection failure was logged; the next success says so */
  private unreachable = false;
  /** after losing its connection, this instance stays back this long (Date.now() ms) so a healthy follower takes over */
  private backOffUntil = 0;

  constructor(private readonly parts: SingletonWorkParts) {
    this.instance = parts.instance ?? `${process.pid}@${hostname()}`;
  }

  /**
   * Declares a singleton work: `run` every `intervalMs` on the instance that leads `name`
   * (at once when it takes the lead). A run in progress is never started twice. May be
   * called before or after `start`.
   */
  every(name: string, intervalMs: number, run: () => Promise<unknown>): this {
    if (this.works.has(name)) throw new Error(`singleton work ${name} is declared twice`);
    const key = singletonLockKey(name);
    const clash = [...this.works.values()].find((work) => work.key === key);
    if (clash) throw new Error(`singleton works ${clash.name} and ${name} hash to the same lock; rename one`);
    this.works.set(name, { name, key, intervalMs, run, leading: false, since: null, timer: undefined, running: undefined });
    if (this.started) void this.check();
    return this;
  }

  /** Whether this instance leads `name` now. */
  isLeading(name: string): boolean {
    return this.works.get(name)?.leading ?? false;
  }

  /** Every declared work and whether this instance leads it (for logs, admin pages and the gauge). */
  leadership(): Leadership[] {
    return [...this.works.values()].map((work) => ({ work: work.name, leading: work.leading, since: work.since?.toISOString() ?? null }));
  }

  /** Called on every change of leadership of this instance; returns the unsubscribe. */
  onChange(listener: (work: string, leading: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tries to lead at once, then keeps trying (or re-checking) every `retryMs`. Never fails: an unreachable database is retried. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.check();
  }

  /** Stops running and leading: waits for runs in progress, then closes the connection, which releases the locks. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.checkTimer);
    for (const work of this.works.values()) clearTimeout(work.timer);
    await this.checking;
    await Promise.all([...this.works.values()].map((work) => work.running));
    const client = this.client;
    this.client = undefined;
    for (const work of this.works.values()) this.setLeading(work, false, 'stopped');
    await client?.end().catch(() => undefined);
  }

  /** One check, never two at once; schedules the next. */
  private check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = undefined;
      clearTimeout(this.checkTimer);
      const delayMs = Math.max(this.parts.retryMs, this.backOffUntil - Date.now());
      if (this.started) this.checkTimer = setTimeout(() => { void this.check(); }, delayMs).unref();
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const works = [...this.works.values()];
    if (!this.started || works.length === 0) return;
    const client = this.client ?? await this.connect();
    if (!client) return;
    let held: Map<number, boolean>;
    try {
      const { rows } = await client.query<{ key: number; held: boolean }>(
        CHECK_SQL, [SINGLETON_LOCK_NAMESPACE, works.map((work) => work.key), works.filter((work) => work.leading).map((work) => work.key)]);
      held = new Map(rows.map((row) => [row.key, row.held]));
    } catch (error) {
      this.lost(client, (error as Error).message);
      return;
    }
    // Lost meanwhile (an error event): whatever the answer said, the session is gone.
    if (client !== this.client || !this.started) return;
    for (const work of works) this.setLeading(work, held.get(work.key) ?? false, 'lock no longer held');
  }

  private async connect(): Promise<pg.Client | undefined> {
    const { retryMs, log } = this.parts;
    const timeoutMs = Math.max(retryMs, 2_000);
    const client = new pg.Client({
      connectionString: this.parts.url, application_name: `singleton:${this.instance}`.slice(0, 63),
      keepAlive: true, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs,
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    try {
      await client.connect();
    } catch (error) {
      client.end().catch(() => undefined);
      if (!this.unreachable) log.warn({ err: (error as Error).message, instance: this.instance }, 'singleton work: cannot reach the database; will retry');
      this.unreachable = true;
      return undefined;
    }
    if (!this.started) {
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.unreachable = false;
    this.client = client;
    return client;
  }

  /** The connection failed: lead nothing from now on, and try again at the next check. */
  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    const led = [...this.works.values()].filter((work) => work.leading);
    if (led.length > 0 || this.started) this.parts.log.warn({ err: reason, instance: this.instance }, 'singleton work: lock connection lost');
    for (const work of led) this.setLeading(work, false, `connection lost: ${reason}`);
    // A flapping connection should not win the lock back from a follower whose connection is fine.
    if (led.length > 0) {
      this.backOffUntil = Date.now() + 2 * this.parts.retryMs;
      if (!this.checking && this.started) {
        clearTimeout(this.checkTimer);
        this.checkTimer = setTimeout(() => { void this.check(); }, 2 * this.parts.retryMs).unref();
      }
    }
  }

  private setLeading(work: Work, leading: boolean, reason: string): void {
    if (work.leading === leading) return;
    work.leading = leading;
    work.since = leading ? new Date() : null;
    const { log } = this.parts;
    if (leading) {
      log.info({ work: work.name, instance: this.instance }, 'singleton work: leading');
      this.schedule(work, 0);
    } else {
      log.info({ work: work.name, instance: this.instance, reason }, 'singleton work: stopped leading');
      clearTimeout(work.timer);
    }
    for (const listener of this.listeners) listener(work.name, leading);
  }

  private schedule(work: Work, delayMs: number): void {
    clearTimeout(work.timer);
    if (!this.started || !work.leading) return;
    work.timer = setTimeout(() => { void this.runWork(work); }, delayMs).unref();
  }

  private async runWork(work: Work): Promise<void> {
    if (work.running || !work.leading || !this.started) return;
    work.running = (async () => {
      try {
        await work.run();
      } catch (error) {
        this.parts.log.warn({ err: error, work: work.name }, 'singleton work failed; will run again');
      }
    })();
    await work.running;
    work.running = undefined;
    this.schedule(work, work.intervalMs);
  }
}

/**
 * `singleton_leader{work}`: 1 while this process leads the work, else 0, read at scrape time.
 * @example registerSingletonMetrics(metrics, platform.events.singletons)
 */
export function registerSingletonMetrics(registry: Registry, singletons: SingletonWork): void {
  new Gauge({
    name: 'singleton_leader', help: 'Whether this instance leads the singleton work (1) or follows (0)', labelNames: ['work'] as const, registers: [registry],
    collect() {
      for (const { work, leading } of singletons.leadership()) this.set({ work }, leading ? 1 : 0);
    },
  });
}
