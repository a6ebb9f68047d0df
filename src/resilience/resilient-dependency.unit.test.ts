import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isProblem, type Problem } from '../http/problem.js';
import { Deadline, runWithDeadline } from './deadline.js';
import { DEFAULT_DEPENDENCY_SETTINGS, type DependencySettings } from './dependency-settings.js';
import { FaultInjector } from './fault-injection.js';
import { UpstreamFailure } from './failures.js';
import { ResilientDependency, type CallContext } from './resilient-dependency.js';

const FAST: DependencySettings = {
  timeoutMs: 200,
  attempts: 3,
  backoff: { initialMs: 1, maxMs: 5 },
  breaker: { consecutiveFailures: 3, halfOpenAfterMs: 50 },
  bulkhead: { concurrency: 2, queue: 1 },
};

function recordingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { log, lines, messages: () => lines.map((line) => line.msg) };
}

function dependencyWith(settings: Partial<DependencySettings> = {}, faults?: FaultInjector) {
  const recorded = recordingLog();
  const dependency = new ResilientDependency({ name: 'product', settings: { ...FAST, ...settings }, log: recorded.log, ...(faults ? { faults } : {}) });
  return { dependency, ...recorded };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3101'), { code: 'ECONNREFUSED' });
// the connection broke after the request may have left: a write must not be sent again
const dropped = () => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A call that fails `failures` times with `error`, then answers `value`; it records each attempt. */
function flaky<T>(failures: number, error: () => unknown, value: T) {
  const attempts: CallContext[] = [];
  const call = async (context: CallContext): Promise<T> => {
    attempts.push(context);
    if (attempts.length <= failures) throw error();
    return value;
  };
  return { call, attempts };
}

/** A call that only ends when its signal aborts, as an HTTP client given the signal does. */
function hanging(contexts: CallContext[] = []) {
  return (context: CallContext): Promise<never> => {
    contexts.push(context);
    return new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason as Error), { once: true }));
  };
}

async function problemOf(promise: Promise<unknown>): Promise<Problem> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!isProblem(error)) throw new Error(`expected a problem, got ${String(error)}`);
  return error;
}

describe('retries', () => {
  it('retries a retryable failure of an idempotent call until it succeeds', async () => {
    const { dependency } = dependencyWith();
    const { call, attempts } = flaky(2, refused, 'answer');
    await expect(dependency.execute(call, { idempotent: true })).resolves.toBe('answer');
    expect(attempts.map((context) => context.attempt)).toEqual([1, 2, 3]);
    expect(dependency.state().calls).toMatchObject({ succeeded: 1, retried: 2, failed: 0 });
  });

  it('gives up after `attempts` with 503 upstream-unavailable, keeping the failure as cause', async () => {
    const { dependency } = dependencyWith({ breaker: { consecutiveFailures: 100, halfOpenAfterMs: 50 } });
    const { call, attempts } = flaky(10, () => new UpstreamFailure('product answered 503', { status: 503 }), 'answer');
    const problem = await problemOf(dependency.execute(call, { idempotent: true }));
    expect(problem).toMatchObject({ status: 503, code: 'upstream-unavailable' });
    expect(problem.cause).toBeInstanceOf(UpstreamFailure);
    expect(attempts).toHaveLength(3);
  });

  it('never retries a call that is not idempotent once it may have reached the dependency', async () => {
    const { dependency } = dependencyWith();
    for (const failure of [dropped, () => new UpstreamFailure('product answered 503', { status: 503 })]) {
      const { call, attempts } = flaky(1, failure, 'answer');
      const problem = await problemOf(dependency.execute(call, { idempotent: false }));
      expect(problem.code).toBe('upstream-unavailable');
      expect(attempts).toHaveLength(1);
    }
  });

  it('retries a call that is not idempotent when its connection was refused: nothing was sent', async () => {
    const { dependency } = dependencyWith();
    const { call, attempts } = flaky(2, refused, 'answer');
    await expect(dependency.execute(call, { idempotent: false })).resolves.toBe('answer');
    expect(attempts).toHaveLength(3);
    expect(dependency.state().calls).toMatchObject({ succeeded: 1, retried: 2 });
  });

  it('never retries a 4xx, passes it on as it is, and does not open the circuit for it', async () => {
    const { dependency } = dependencyWith();
    const notFound = new UpstreamFailure('product answered 404', { status: 404 });
    const { call, attempts } = flaky(100, () => notFound, 'answer');
    for (let i = 0; i < 10; i++) await expect(dependency.execute(call, { idempotent: true })).rejects.toBe(notFound);
    expect(attempts).toHaveLength(10);
    expect(dependency.state().circuit).toBe('closed');
  });

  it('does not retry a 500 but passes it on as it is', async () => {
    const { dependency } = dependencyWith();
    const failure = new UpstreamFailure('product answered 500', { status: 500 });
    const { call, attempts } = flaky(1, () => failure, 'answer');
    await expect(dependency.execute(call, { idempotent: true })).rejects.toBe(failure);
    expect(attempts).toHaveLength(1);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast without calling, and closes after one good trial call', async () => {
    const { dependency, lines, messages } = dependencyWith();
    const { call, attempts } = flaky(3, dropped, 'answer');
    for (let i = 0; i < 3; i++) await problemOf(dependency.execute(call, { idempotent: false }));
    expect(dependency.state().circuit).toBe('open');

    const problem = await problemOf(dependency.execute(call, { idempotent: true }));
    expect(problem).toMatchObject({ status: 503, code: 'circuit-open', headers: { 'retry-after': '1' } });
    expect(attempts).toHaveLength(3);
    expect(dependency.state().calls.rejected).toBe(1);

    await sleep(60);
    await expect(dependency.execute(call, { idempotent: false })).resolves.toBe('answer');
    expect(dependency.state().circuit).toBe('closed');
    expect(messages().filter((msg) => String(msg).startsWith('circuit'))).toEqual([
      'circuit opened; calls fail fast', 'circuit half-open; one trial call goes through', 'circuit closed; calls flow again',
    ]);
    expect(lines.find((line) => line.msg === 'circuit opened; calls fail fast')).toMatchObject({ dependency: 'product', code: 'UND_ERR_SOCKET', level: 40 });
  });

  it('opens again when the trial call fails', async () => {
    const { dependency } = dependencyWith();
    const { call } = flaky(4, dropped, 'answer');
    for (let i = 0; i < 3; i++) await problemOf(dependency.execute(call, { idempotent: false }));
    await sleep(60);
    expect((await problemOf(dependency.execute(call, { idempotent: false }))).code).toBe('upstream-unavailable');
    expect(dependency.state().circuit).toBe('open');
  });

  it('stops retrying once the circuit opens, instead of hammering the dependency', async () => {
    const { dependency } = dependencyWith({ attempts: 5, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 5_000 } });
    const { call, attempts } = flaky(10, dropped, 'answer');
    const problem = await problemOf(dependency.execute(call, { idempotent: true }));
    expect(problem.code).toBe('circuit-open');
    expect(problem.headers['retry-after']).toBe('5');
    expect(attempts).toHaveLength(2);
  });

  it('counts the failures of calls running at the same time, and opens on the one that reaches the threshold', async () => {
    const { dependency } = dependencyWith({ bulkhead: { concurrency: 5, queue: 0 } });
    const failLater = async (): Promise<never> => { await sleep(5); throw dropped(); };
    await Promise.all(Array.from({ length: 3 }, () => dependency.execute(failLater, { idempotent: false }).catch(() => undefined)));
    expect(dependency.state().circuit).toBe('open');
    expect((await problemOf(dependency.execute(async () => 'answer', { idempotent: false }))).code).toBe('circuit-open');
  });

  it('starts counting again after the dependency answers, even with a 4xx', async () => {
    const { dependency } = dependencyWith();
    const outcomes = [dropped(), dropped(), new UpstreamFailure('no', { status: 404 }), dropped(), dropped()];
    for (const outcome of outcomes) await dependency.execute(async () => { throw outcome; }, { idempotent: false }).catch(() => undefined);
    expect(dependency.state().circuit).toBe('closed');
  });

  it('can be isolated and reset by an operator', async () => {
    const { dependency } = dependencyWith();
    dependency.isolate();
    expect(dependency.state().circuit).toBe('isolated');
    expect((await problemOf(dependency.execute(async () => 'answer', { idempotent: true }))).code).toBe('circuit-open');
    dependency.reset();
    await expect(dependency.execute(async () => 'answer', { idempotent: true })).resolves.toBe('answer');
  });
});

describe('bulkhead', () => {
  it('refuses calls beyond concurrency + queue with 503 bulkhead-full, and runs the queued one later', async () => {
    const { dependency } = dependencyWith();
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const started: number[] = [];
    const call = (n: number) => async () => { started.push(n); await released; return n; };
    const admitted = [1, 2, 3].map((n) => dependency.execute(call(n), { idempotent: true }));
    await sleep(0);
    expect(dependency.state().bulkhead).toEqual({ active: 2, queued: 1, concurrency: 2, queue: 1 });

    const problem = await problemOf(dependency.execute(call(4), { idempotent: true }));
    expect(problem).toMatchObject({ status: 503, code: 'bulkhead-full' });
    expect(started).toEqual([1, 2]);
    release();
    await expect(Promise.all(admitted)).resolves.toEqual([1, 2, 3]);
    expect(dependency.state().calls).toMatchObject({ succeeded: 3, rejected: 1 });
  });
});

describe('timeouts and deadlines', () => {
  it('aborts the signal of an attempt that takes too long, and fails with 504 upstream-timeout', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 20 });
    const contexts: CallContext[] = [];
    const problem = await problemOf(dependency.execute(hanging(contexts), { idempotent: false }));
    expect(problem).toMatchObject({ status: 504, code: 'upstream-timeout' });
    expect(contexts[0]?.signal.aborted).toBe(true);
    expect(dependency.state().calls).toMatchObject({ timedOut: 1, failed: 1 });
  });

  it('tells onAbort listeners when an attempt is cut, whether or not anyone asked for its signal', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 20 });
    const reasons: Error[] = [];
    const cut = (context: CallContext) => new Promise<never>((_, reject) => context.onAbort((reason) => { reasons.push(reason); reject(reason); }));
    const problem = await problemOf(dependency.execute(cut, { idempotent: false }));
    expect(problem).toMatchObject({ status: 504, code: 'upstream-timeout' });
    expect(reasons.map((reason) => reason.name)).toEqual(['TimeoutError']);
  });

  it('retries a timed-out idempotent call', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 20 });
    let calls = 0;
    const answer = await dependency.execute(async (context) => (++calls === 1 ? hanging()(context) : 'answer'), { idempotent: true });
    expect(answer).toBe('answer');
    expect(dependency.state().calls).toMatchObject({ timedOut: 1, retried: 1, succeeded: 1 });
  });

  it('cuts an attempt at a deadline shorter than the timeout, without retrying it', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 5_000 });
    const contexts: CallContext[] = [];
    const started = performance.now();
    const problem = await problemOf(dependency.execute(hanging(contexts), { idempotent: true, deadline: Deadline.after(30) }));
    expect(problem).toMatchObject({ status: 504, code: 'deadline-exceeded' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]!.deadline.remainingMs()).toBeLessThanOrEqual(30);
    expect(dependency.state().circuit).toBe('closed');
  });

  it('never calls when the deadline has already passed', async () => {
    const { dependency } = dependencyWith();
    const { call, attempts } = flaky(0, refused, 'answer');
    const problem = await problemOf(dependency.execute(call, { idempotent: true, deadline: Deadline.after(0) }));
    expect(problem.code).toBe('deadline-exceeded');
    expect(attempts).toHaveLength(0);
    expect(dependency.state().calls.rejected).toBe(1);
  });

  it('takes the deadline of the request being served, unless told there is none', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 5_000 });
    const seen: CallContext[] = [];
    await runWithDeadline(Deadline.after(1_000), () => dependency.execute(async (context) => seen.push(context), { idempotent: true }));
    await runWithDeadline(Deadline.after(1_000), () => dependency.execute(async (context) => seen.push(context), { idempotent: true, deadline: null }));
    expect(seen[0]!.deadline.remainingMs()).toBeLessThanOrEqual(1_000);
    expect(seen[1]!.deadline.remainingMs()).toBeGreaterThan(1_000);
  });

  it('gives each attempt a deadline to pass on: the sooner of its timeout and the caller\'s deadline', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 300 });
    const header = await dependency.execute(async ({ deadline }) => Number(deadline.toHeader()), { idempotent: true });
    expect(header).toBeGreaterThan(250);
    expect(header).toBeLessThanOrEqual(300);
  });
});

describe('fallback', () => {
  it('answers with the fallback when the circuit is open, telling it why', async () => {
    const { dependency } = dependencyWith();
    dependency.isolate();
    const reasons: string[] = [];
    const answer = await dependency.execute(async () => 'remote', { idempotent: true, fallback: (problem) => { reasons.push(problem.code); return 'local'; } });
    expect(answer).toBe('local');
    expect(reasons).toEqual(['circuit-open']);
    expect(dependency.state().calls.fellBack).toBe(1);
  });

  it('answers with the fallback when the dependency times out or stays unavailable', async () => {
    const { dependency } = dependencyWith({ timeoutMs: 10, attempts: 1 });
    await expect(dependency.execute(hanging(), { idempotent: true, fallback: (problem) => problem.code })).resolves.toBe('upstream-timeout');
    await expect(dependency.execute(async () => { throw refused(); }, { idempotent: true, fallback: (problem) => problem.code })).resolves.toBe('upstream-unavailable');
  });

  it('does not hide an answer of the dependency behind the fallback', async () => {
    const { dependency } = dependencyWith();
    const notFound = new UpstreamFailure('no such product', { status: 404 });
    await expect(dependency.execute(async () => { throw notFound; }, { idempotent: true, fallback: () => 'local' })).rejects.toBe(notFound);
  });
});

describe('fault injection', () => {
  it('fails attempts like a real 503 would: retried, then upstream-unavailable, the dependency never called', async () => {
    const faults = new FaultInjector({ text: JSON.stringify({ product: { abortRatio: 1 } }) });
    const { dependency } = dependencyWith({}, faults);
    const { call, attempts } = flaky(0, refused, 'answer');
    const problem = await problemOf(dependency.execute(call, { idempotent: true }));
    expect(problem.code).toBe('upstream-unavailable');
    expect(problem.cause).toMatchObject({ status: 503, code: 'fault-injected' });
    expect(attempts).toHaveLength(0);
    expect(dependency.state().calls.retried).toBe(2);
  });

  it('delays attempts, which the timeout then cuts', async () => {
    const faults = new FaultInjector({ text: JSON.stringify({ product: { delayMs: 1_000 } }) });
    const { dependency } = dependencyWith({ timeoutMs: 20 }, faults);
    const problem = await problemOf(dependency.execute(async () => 'answer', { idempotent: false }));
    expect(problem.code).toBe('upstream-timeout');
  });

  it('only touches the route it targets', async () => {
    const faults = new FaultInjector({ text: JSON.stringify({ product: { abortRatio: 1, routePrefix: 'GET /api/v1/products' } }) });
    const { dependency } = dependencyWith({}, faults);
    await expect(dependency.execute(async () => 'answer', { idempotent: false, route: 'POST /api/v1/orders' })).resolves.toBe('answer');
    expect((await problemOf(dependency.execute(async () => 'answer', { idempotent: false, route: 'GET /api/v1/products/7' }))).code).toBe('upstream-unavailable');
  });
});

describe('caller cancellation', () => {
  it('stops at once when the caller gives up, without retrying or counting it as a timeout', async () => {
    const { dependency } = dependencyWith();
    const caller = new AbortController();
    const contexts: CallContext[] = [];
    const pending = dependency.execute(hanging(contexts), { idempotent: true, signal: caller.signal });
    await sleep(5);
    caller.abort(new Error('client went away'));
    await expect(pending).rejects.toThrow(/aborted|client went away/);
    expect(contexts).toHaveLength(1);
    expect(dependency.state().calls.timedOut).toBe(0);
  });
});

it('keeps the defaults for loopback HTTP calls', () => {
  expect(DEFAULT_DEPENDENCY_SETTINGS).toEqual({
    timeoutMs: 5_000, attempts: 3, backoff: { initialMs: 50, maxMs: 1_000 },
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 5_000 }, bulkhead: { concurrency: 200, queue: 1_000 },
  });
});
