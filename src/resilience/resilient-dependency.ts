import {
  bulkhead, circuitBreaker, CircuitState, ConsecutiveBreaker, decorrelatedJitterGenerator, ExponentialBackoff, handleWhen, retry,
  type BulkheadPolicy, type CircuitBreakerPolicy, type IBackoff, type IBackoffFactory,
} from 'cockatiel';
import { isProblem, type Problem } from '../http/problem.js';
import type { Logger } from '../observability/logger.js';
import { AttemptContext, type CallContext } from './attempt-context.js';
import { currentDeadline, Deadline, monotonicClock, type Clock } from './deadline.js';
import type { DependencySettings } from './dependency-settings.js';
import type { FaultInjector } from './fault-injection.js';
import {
  countsAgainstCircuit, DEADLINE_EXCEEDED_CODE, failureSummary, isRetryableFailure, isUpstreamAnswer, neverReached, UPSTREAM_TIMEOUT_CODE, UpstreamFailure,
} from './failures.js';
import { BulkheadFull, CircuitOpen, DeadlineExceeded, UpstreamTimeout, UpstreamUnavailable, withCause } from './resilience-problems.js';

export type { CallContext } from './attempt-context.js';

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';
export const CIRCUIT_STATES: readonly CircuitStateName[] = ['closed', 'open', 'half-open', 'isolated'];
const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Isolated]: 'isolated',
};

/**
 * Since the process started. `succeeded`, `failed`, `rejected` (refused without calling the
 * dependency: bulkhead full, circuit open, deadline passed) and `fellBack` count calls, one
 * outcome each; `retried` and `timedOut` count attempts.
 */
export interface CallCounts {
  succeeded: number;
  failed: number;
  rejected: number;
  retried: number;
  fellBack: number;
  timedOut: number;
}

export interface DependencyState {
  dependency: string;
  circuit: CircuitStateName;
  /** when the circuit entered its state (ISO 8601) */
  since: string;
  bulkhead: { active: number; queued: number; concurrency: number; queue: number };
  calls: CallCounts;
}

export interface CallOptions<T> {
  /**
   * An idempotent call is retried on any retryable failure. Another call only when its
   * connection was never made (refused, unreachable): a POST that may have reached the
   * dependency before the connection failed could otherwise take effect twice.
   */
  idempotent: boolean;
  /** Served instead when the dependency is unavailable, slow or shedding load; it gets the problem that would have been thrown. */
  fallback?: (failure: Problem) => T | Promise<T>;
  /** The caller's deadline; by default the deadline of the request being served. `null`: none (work that outlives the request). */
  deadline?: Deadline | null;
  /** The caller giving up (its client went away); the call's own signal follows it. */
  signal?: AbortSignal;
  /** What is called, e.g. `GET /api/v1/products`: lets a fault target one route. Read by fault injection only. */
  route?: string;
}

export interface ResilientDependencyOptions {
  name: string;
  settings: DependencySettings;
  log: Logger;
  faults?: FaultInjector;
  clock?: Clock;
}

// Failures for which a fallback answer is better than none: the dependency could not be
// used. A passed deadline is not among them (nobody waits for any answer), nor an answer
// the dependency did give (a 4xx, a 500).
const FALLS_BACK = new Set([CircuitOpen.code, BulkheadFull.code, UpstreamTimeout.code, UpstreamUnavailable.code]);

const retryableFor = (options: CallOptions<unknown>): ((error: unknown) => boolean) => (options.idempotent ? isRetryableFailure : neverReached);

// Cockatiel's own isIsolatedCircuitError/isTaskCancelledError test the wrong marker (3.2.1),
// and instanceof fails across its CommonJS and ESM builds: test the markers directly.
const hasMarker = (error: unknown, marker: string): boolean => typeof error === 'object' && error !== null && marker in error;

/**
 * One remote dependency behind its guards, from the outside in:
 *
 * bulkhead → retry → circuit breaker → timeout → the call
 *
 * - The bulkhead is outermost so it bounds whole calls, backoff pauses included: a dependency
 *   that slows down cannot pile up unbounded work in this process.
 * - The breaker sits inside the retry, so it sees every attempt (it judges the dependency, not
 *   our callers) and a circuit opened by the first attempts stops the later ones: the retry
 *   never retries a BrokenCircuitError, it fails fast with 503 `circuit-open`. With the
 *   breaker outside, a call already retrying would keep hammering a dependency whose circuit
 *   had opened meanwhile.
 * - The timeout is per attempt and innermost, so a timed-out attempt counts against the circuit
 *   and may be retried. It lasts min(timeoutMs, the caller's remaining deadline); an attempt
 *   cut by the deadline is not retried and does not count (it is the caller's budget, not the
 *   dependency's health).
 *
 * The timeout is cooperative: the call gets an AbortSignal and must honour it (undici does).
 * The signal is not aborted when the call returns, so a response body can still be streamed.
 *
 * The usual call needs none of this machinery: the circuit is closed, no fault is injected,
 * and the first attempt answers. Such a first attempt runs directly (timed, inside the
 * bulkhead, its outcome counted by the breaker exactly as the breaker would count it), and
 * only a failure worth retrying goes on through the retry policy, which starts from that
 * failure. Going through every policy costs a proxied request more than the rest of its
 * bookkeeping (a dozen promises, abort controllers and listeners per attempt).
 * @example const product = await dependency.execute(({ signal, deadline }) => client.get(id, { signal, deadline }), { idempotent: true })
 */
export class ResilientDependency {
  readonly name: string;
  readonly settings: DependencySettings;
  private readonly log: Logger;
  private readonly faults: FaultInjector | undefined;
  private readonly clock: Clock;
  private readonly bulkhead: BulkheadPolicy;
  private readonly consecutive: ConsecutiveBreaker;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly counts: CallCounts = { succeeded: 0, failed: 0, rejected: 0, retried: 0, fellBack: 0, timedOut: 0 };
  private since = new Date();
  private openedAt = 0;
  private isolation: { dispose(): void } | undefined;

  constructor(options: ResilientDependencyOptions) {
    this.name = options.name;
    this.settings = options.settings;
    this.log = options.log;
    this.faults = options.faults;
    this.clock = options.clock ?? monotonicClock;
    const { bulkhead: limits, breaker } = options.settings;
    this.bulkhead = bulkhead(limits.concurrency, limits.queue);
    this.consecutive = new ConsecutiveBreaker(breaker.consecutiveFailures);
    this.breaker = circuitBreaker(handleWhen(countsAgainstCircuit), { halfOpenAfter: breaker.halfOpenAfterMs, breaker: this.consecutive });
    this.breaker.onStateChange((state) => this.circuitChanged(state));
  }

  /**
   * Runs `call` under the dependency's guards. It resolves with what the call returned, or
   * the fallback's answer; it rejects with a resilience problem (503 `circuit-open`,
   * `bulkhead-full`, `upstream-unavailable`; 504 `upstream-timeout`, `deadline-exceeded`;
   * the failure behind it as `cause`) or else with the call's own error (a 4xx, a 500…).
   */
  async execute<T>(call: (context: CallContext) => Promise<T>, options: CallOptions<T>): Promise<T> {
    const deadline = options.deadline === undefined ? currentDeadline() : options.deadline ?? undefined;
    const tally = { attempts: 0 };
    try {
      if (deadline?.expired) throw DeadlineExceeded(`The deadline passed before ${this.name} was called`);
      const value = await this.bulkhead.execute(() => this.run(call, options, deadline, tally), options.signal);
      this.counts.succeeded++;
      return value;
    } catch (error) {
      const problem = options.signal?.aborted ? undefined : this.problemFor(error);
      if (problem && options.fallback && FALLS_BACK.has(problem.code)) {
        this.counts.fellBack++;
        return options.fallback(problem);
      }
      const refused = problem !== undefined && (problem.code === CircuitOpen.code || problem.code === BulkheadFull.code || tally.attempts === 0);
      if (refused) this.counts.rejected++;
      else this.counts.failed++;
      throw problem ?? error;
    }
  }

  state(): DependencyState {
    const { concurrency, queue } = this.settings.bulkhead;
    return {
      dependency: this.name,
      circuit: STATE_NAMES[this.breaker.state],
      since: this.since.toISOString(),
      bulkhead: { active: concurrency - this.bulkhead.executionSlots, queued: queue - this.bulkhead.queueSlots, concurrency, queue },
      calls: { ...this.counts },
    };
  }

  /** Holds the circuit open until `reset()`: an operator takes a dependency out of use. */
  isolate(): void {
    this.isolation ??= this.breaker.isolate();
  }

  /** Closes the circuit, whatever its state, with a clean failure count. */
  reset(): void {
    if (!this.isolation && this.breaker.state !== CircuitState.Closed) this.isolate();
    this.isolation?.dispose();
    this.isolation = undefined;
    this.consecutive.state = 0;
  }

  private run<T>(call: (context: CallContext) => Promise<T>, options: CallOptions<T>, deadline: Deadline | undefined, tally: { attempts: number }): Promise<T> {
    // A caller's own signal must reach every policy, and an open circuit or an injected fault needs them: all go the long way.
    const direct = this.breaker.state === CircuitState.Closed && options.signal === undefined && !this.faults?.affects(this.name);
    return direct ? this.firstAttempt(call, options, deadline, tally) : this.withRetries(call, options, deadline, tally);
  }

  /** The first attempt without the retry and breaker policies, its outcome counted as the breaker would count it. */
  private async firstAttempt<T>(call: (context: CallContext) => Promise<T>, options: CallOptions<T>, deadline: Deadline | undefined, tally: { attempts: number }): Promise<T> {
    let value: T;
    try {
      value = await this.attempt(call, 1, options, deadline, tally);
    } catch (error) {
      // A refusal (4xx) is an answer: the dependency is healthy, as in throughCircuit.
      if (isUpstreamAnswer(error)) this.consecutive.success();
      else if (countsAgainstCircuit(error)) await this.countFailure(error);
      // What the retry policy would retry, it does, starting from this failure: same backoff, same counts.
      if (this.settings.attempts > 1 && retryableFor(options)(error)) return this.withRetries(call, options, deadline, tally, { error });
      throw error;
    }
    this.consecutive.success();
    return value;
  }

  /**
   * Hands a failure to the breaker as if the attempt had failed inside it, so it counts it,
   * opens at the threshold and remembers it as the last failure. Only while the circuit is
   * closed: once open, it is not this call's to count (and in half-open it would pass for the trial).
   */
  private async countFailure(error: unknown): Promise<void> {
    if (this.breaker.state !== CircuitState.Closed) return;
    await this.breaker.execute(() => Promise.reject(error)).catch(() => undefined);
  }

  private async withRetries<T>(
    call: (context: CallContext) => Promise<T>, options: CallOptions<T>, deadline: Deadline | undefined, tally: { attempts: number },
    firstFailure?: { error: unknown },
  ): Promise<T> {
    const { attempts, backoff } = this.settings;
    // Made per call (it is cheap and holds no shared state) so its pauses can respect this call's deadline.
    // Decorrelated jitter: callers that failed together do not come back together.
    const policy = retry(handleWhen(retryableFor(options)), {
      maxAttempts: attempts - 1,
      backoff: new WithinDeadline(new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay: backoff.initialMs, maxDelay: backoff.maxMs }), deadline),
    });
    policy.onRetry(({ attempt, delay, ...reason }) => {
      this.counts.retried++;
      const failure = 'error' in reason ? failureSummary(reason.error) : {};
      this.log.debug({ dependency: this.name, attempt, delayMs: Math.round(delay), ...failure }, 'dependency call failed; retrying');
    });
    return policy.execute(({ attempt }) => (attempt === 0 && firstFailure
      // the first attempt was made already (firstAttempt): the policy judges its failure and backs off from it
      ? Promise.reject(firstFailure.error)
      : this.throughCircuit(call, attempt + 1, options, deadline, tally)), options.signal);
  }

  private async throughCircuit<T>(call: (context: CallContext) => Promise<T>, attempt: number, options: CallOptions<T>, deadline: Deadline | undefined, tally: { attempts: number }): Promise<T> {
    // A refusal (4xx) passes the breaker as a value: the dependency answered, so it is healthy
    // and the count of consecutive failures starts again.
    const outcome = await this.breaker.execute(async () => {
      try {
        return { value: await this.attempt(call, attempt, options, deadline, tally) };
      } catch (error) {
        if (isUpstreamAnswer(error)) return { answer: error };
        throw error;
      }
    }, options.signal);
    if ('answer' in outcome) throw outcome.answer;
    return outcome.value;
  }

  /**
   * One attempt, cut at min(timeoutMs, the caller's remaining deadline): the timer aborts the
   * attempt's context, and the call, honouring it, fails. The abort is not undone when the
   * call returns, and nothing aborts it after that: a response body can still be streamed.
   */
  private async attempt<T>(call: (context: CallContext) => Promise<T>, attempt: number, options: CallOptions<T>, deadline: Deadline | undefined, tally: { attempts: number }): Promise<T> {
    const { timeoutMs } = this.settings;
    const remaining = deadline ? deadline.remainingMs() : Infinity;
    if (remaining <= 0) throw DeadlineExceeded(`The deadline passed before attempt ${attempt} of the call to ${this.name}`);
    const cutByDeadline = remaining < timeoutMs;
    const budgetMs = Math.max(1, Math.floor(Math.min(timeoutMs, remaining)));
    const context = new AttemptContext(attempt, Deadline.after(budgetMs, this.clock));
    const timer = setTimeout(() => context.abort(new DOMException(`The attempt was cut after ${budgetMs} ms`, 'TimeoutError')), budgetMs);
    const caller = options.signal;
    // made only for a caller with a signal of its own: most have none
    const callerGaveUp = caller && (() => context.abort(caller.reason instanceof Error ? caller.reason : new DOMException('The caller gave up', 'AbortError')));
    if (caller?.aborted) callerGaveUp!();
    else if (callerGaveUp) caller!.addEventListener('abort', callerGaveUp, { once: true });
    tally.attempts++;
    try {
      if (this.faults?.affects(this.name)) await this.faults.inject(this.name, context.signal, options.route);
      return await call(context);
    } catch (error) {
      // Only an abort of our own making is a timeout; the caller giving up is not.
      if (!context.aborted || caller?.aborted) throw error;
      this.counts.timedOut++;
      if (cutByDeadline) throw withCause(DeadlineExceeded(`The deadline passed while ${this.name} was being called`), error);
      throw new UpstreamFailure(`${this.name} did not answer within ${timeoutMs} ms`, { code: UPSTREAM_TIMEOUT_CODE, cause: error });
    } finally {
      clearTimeout(timer);
      if (callerGaveUp) caller!.removeEventListener('abort', callerGaveUp);
    }
  }

  /** The problem a call finally fails with, or undefined to pass the call's own error on. */
  private problemFor(error: unknown): Problem | undefined {
    if (hasMarker(error, 'isBulkheadRejectedError')) {
      return withCause(BulkheadFull(`${this.name} has ${this.settings.bulkhead.concurrency} calls running and ${this.settings.bulkhead.queue} waiting`, undefined, { 'retry-after': '1' }), error);
    }
    if (hasMarker(error, 'isBrokenCircuitError')) {
      if (hasMarker(error, 'isIsolatedCircuitError')) return withCause(CircuitOpen(`${this.name} was taken out of use by an operator`), error);
      const waitMs = this.openedAt + this.settings.breaker.halfOpenAfterMs - Date.now();
      const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1_000)));
      return withCause(CircuitOpen(`${this.name} is failing; calls to it are paused`, undefined, { 'retry-after': retryAfter }), error);
    }
    if (isProblem(error) && error.code === DEADLINE_EXCEEDED_CODE) return error;
    if (error instanceof UpstreamFailure && error.code === UPSTREAM_TIMEOUT_CODE) return withCause(UpstreamTimeout(error.message), error);
    if (isRetryableFailure(error)) return withCause(UpstreamUnavailable(`${this.name} is unavailable`), error);
    return undefined;
  }

  private circuitChanged(state: CircuitState): void {
    this.since = new Date();
    const circuit = STATE_NAMES[state];
    const fields = { dependency: this.name, circuit };
    if (state === CircuitState.Open) {
      // the breaker's own clock, for Retry-After
      this.openedAt = Date.now();
      const last = this.breaker.lastFailure;
      const failure = last && 'error' in last ? failureSummary(last.error) : {};
      this.log.warn({ ...fields, ...failure, halfOpenAfterMs: this.settings.breaker.halfOpenAfterMs }, 'circuit opened; calls fail fast');
    } else if (state === CircuitState.HalfOpen) {
      this.log.info(fields, 'circuit half-open; one trial call goes through');
    } else if (state === CircuitState.Isolated) {
      this.log.warn(fields, 'circuit isolated by an operator; calls fail fast');
    } else {
      this.log.info(fields, 'circuit closed; calls flow again');
    }
  }
}

/** A retry pause never outlasts the deadline: the attempt after it then fails at once with `deadline-exceeded`. */
class WithinDeadline<C> implements IBackoff<C> {
  constructor(
    private readonly inner: IBackoffFactory<C> | IBackoff<C>,
    private readonly deadline: Deadline | undefined,
    readonly duration = 0,
  ) {}

  next(context: C): IBackoff<C> {
    const step = this.inner.next(context);
    const duration = this.deadline ? Math.min(step.duration, this.deadline.remainingMs()) : step.duration;
    return new WithinDeadline(step, this.deadline, duration);
  }
}
