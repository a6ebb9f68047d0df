import { describe, expect, it } from 'vitest';
import { isProblem } from '../http/problem.js';
import { currentDeadline, Deadline, deadlineFromRequest, MAX_DEADLINE_MS } from './deadline.js';

function manualClock(start = 10_000) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => { now += ms; } };
}

describe('deadline', () => {
  it('reads the remaining milliseconds a caller sent, and says what is left as time passes', () => {
    const { clock, advance } = manualClock();
    const deadline = Deadline.fromHeader('250', clock)!;
    expect(deadline.remainingMs()).toBe(250);
    advance(100.7);
    expect(deadline.toHeader()).toBe('149');
    expect(deadline.expired).toBe(false);
    advance(200);
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.expired).toBe(true);
    expect(deadline.toHeader()).toBe('0');
  });

  it.each([undefined, '', 'soon', '-5', '1.5', '1e3', '12abc'])('ignores a header of %j: the caller set no deadline', (value) => {
    expect(Deadline.fromHeader(value)).toBeUndefined();
  });

  it('ignores a repeated header, and cuts an absurdly long one', () => {
    expect(Deadline.fromHeader(['100', '200'])).toBeUndefined();
    const { clock } = manualClock();
    expect(Deadline.fromHeader('99999999999', clock)!.remainingMs()).toBe(MAX_DEADLINE_MS);
  });

  it('takes "0" as a deadline that has passed', () => {
    expect(Deadline.fromHeader('0')!.expired).toBe(true);
  });

  it('picks the earliest of several deadlines', () => {
    const { clock } = manualClock();
    const soon = Deadline.after(10, clock);
    expect(Deadline.earliest(undefined, Deadline.after(50, clock), soon)).toBe(soon);
    expect(Deadline.earliest(undefined)).toBeUndefined();
  });

  it('gives a signal that aborts at the deadline', async () => {
    const signal = Deadline.after(10).signal();
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(signal.aborted).toBe(true);
    expect(Deadline.after(0).signal().aborted).toBe(true);
  });
});

describe('deadlineFromRequest', () => {
  const middleware = deadlineFromRequest();
  const contextWith = (headers: Record<string, string>) => ({ headers }) as unknown as Parameters<typeof middleware>[0];

  it('makes the deadline a request brought visible to the code serving it', async () => {
    let seen: number | undefined;
    await middleware(contextWith({ 'x-request-deadline-ms': '800' }), async () => { seen = currentDeadline()?.remainingMs(); });
    expect(seen).toBeGreaterThan(700);
    expect(seen).toBeLessThanOrEqual(800);
    expect(currentDeadline()).toBeUndefined();
  });

  it('serves a request without a deadline as before', async () => {
    let called = false;
    await middleware(contextWith({}), async () => { called = currentDeadline() === undefined; });
    expect(called).toBe(true);
  });

  it('answers 504 deadline-exceeded at once for a request that arrived too late', async () => {
    let called = false;
    const error = await Promise.resolve(middleware(contextWith({ 'x-request-deadline-ms': '0' }), async () => { called = true; })).catch((caught: unknown) => caught);
    expect(isProblem(error) && { status: error.status, code: error.code }).toEqual({ status: 504, code: 'deadline-exceeded' });
    expect(called).toBe(false);
  });
});
