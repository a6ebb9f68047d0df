import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';
import { DeadlineExceeded } from './resilience-problems.js';

/**
 * The time a caller still gives a request, in whole milliseconds. Relative rather than a
 * point in time, so the clocks of two machines need not agree; each hop sends what is left.
 */
export const DEADLINE_HEADER = 'x-request-deadline-ms';
/** A longer deadline from the wire is cut to this: nobody waits five minutes on an HTTP call. */
export const MAX_DEADLINE_MS = 5 * 60_000;

/** Milliseconds on a clock that only moves forward; `performance.now()` unless a test says otherwise. */
export type Clock = () => number;
export const monotonicClock: Clock = () => performance.now();

const WHOLE_MILLISECONDS = /^\d{1,15}$/;

/**
 * The moment by which a caller needs its answer, on this process's monotonic clock.
 * @example const deadline = Deadline.after(2_000); headers[DEADLINE_HEADER] = deadline.toHeader()
 */
export class Deadline {
  private constructor(
    /** on `clock` */
    private readonly at: number,
    private readonly clock: Clock,
  ) {}

  static after(ms: number, clock: Clock = monotonicClock): Deadline {
    return new Deadline(clock() + Math.max(0, ms), clock);
  }

  /**
   * The deadline a request brought, or undefined when it brought none or nonsense (not a
   * whole number of milliseconds, negative, repeated): such a caller simply set no deadline.
   * `0` is a deadline that has passed.
   */
  static fromHeader(value: string | readonly string[] | undefined, clock: Clock = monotonicClock): Deadline | undefined {
    if (typeof value !== 'string') return undefined;
    const text = value.trim();
    if (!WHOLE_MILLISECONDS.test(text)) return undefined;
    return Deadline.after(Math.min(Number(text), MAX_DEADLINE_MS), clock);
  }

  /** The earlier of some deadlines, ignoring absent ones. */
  static earliest(...deadlines: ReadonlyArray<Deadline | undefined>): Deadline | undefined {
    let earliest: Deadline | undefined;
    for (const deadline of deadlines) {
      if (deadline && (!earliest || deadline.remainingMs() < earliest.remainingMs())) earliest = deadline;
    }
    return earliest;
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.clock());
  }

  get expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** What is left, rounded down: the receiver must not believe it has more time than it has. */
  toHeader(): string {
    return String(Math.floor(this.remainingMs()));
  }

  /** Aborts at the deadline (already aborted when it has passed). */
  signal(): AbortSignal {
    const remaining = this.remainingMs();
    return remaining <= 0 ? AbortSignal.abort(deadlineReason()) : AbortSignal.timeout(Math.ceil(remaining));
  }
}

const deadlineReason = () => new DOMException('The deadline has passed', 'TimeoutError');

// Kept here rather than in the request context: only remote calls read it, and code outside
// any request (a saga step in a worker) simply has none.
const storage = new AsyncLocalStorage<Deadline>();

/** Runs `work` with `deadline` visible to every remote call it makes (`currentDeadline()`). */
export function runWithDeadline<T>(deadline: Deadline, work: () => T): T {
  return storage.run(deadline, work);
}

/** The deadline of the request being served, when its caller sent one. */
export function currentDeadline(): Deadline | undefined {
  return storage.getStore();
}

/**
 * Reads `x-request-deadline-ms`. A request whose deadline had passed on arrival is answered
 * 504 `deadline-exceeded` at once (its caller has given up, work would be wasted); otherwise
 * the deadline travels on with every remote call made while serving it. Goes after the
 * problem+json middleware, which renders the 504.
 * @example app.use(deadlineFromRequest())
 */
export function deadlineFromRequest(clock: Clock = monotonicClock): Middleware {
  return async (ctx, next) => {
    const deadline = Deadline.fromHeader(ctx.headers[DEADLINE_HEADER], clock);
    if (!deadline) return next();
    if (deadline.expired) throw DeadlineExceeded('The request arrived after its deadline had passed');
    return runWithDeadline(deadline, next);
  };
}
