import { describe, expect, it } from 'vitest';
import { isProblem } from '../http/problem.js';
import { FaultInjector, seededRandom } from './fault-injection.js';
import { UpstreamFailure } from './failures.js';

const never = new AbortController().signal;

async function outcomes(faults: FaultInjector, calls: number, signal = never): Promise<{ failed: number; passed: number; statuses: Set<number | undefined> }> {
  let failed = 0;
  const statuses = new Set<number | undefined>();
  for (let i = 0; i < calls; i++) {
    try {
      await faults.inject('product', signal);
    } catch (error) {
      failed++;
      statuses.add(error instanceof UpstreamFailure ? error.status : undefined);
    }
  }
  return { failed, passed: calls - failed, statuses };
}

describe('fault injection', () => {
  it('is off without FAULT_INJECTION, and refuses faults at run time then', async () => {
    const faults = new FaultInjector({ text: undefined });
    expect(faults.enabled).toBe(false);
    const error = (() => { try { faults.set('product', { abortRatio: 1 }); } catch (caught) { return caught; } })();
    expect(isProblem(error) && { status: error.status, code: error.code }).toEqual({ status: 409, code: 'fault-injection-off' });
    expect((await outcomes(faults, 10)).failed).toBe(0);
  });

  it('fails the configured share of calls with the configured status, the same way for the same seed', async () => {
    const text = JSON.stringify({ product: { abortRatio: 0.25, abortStatus: 502 } });
    const first = await outcomes(new FaultInjector({ text, random: seededRandom(42) }), 1_000);
    const again = await outcomes(new FaultInjector({ text, random: seededRandom(42) }), 1_000);
    expect(first.failed).toBeGreaterThan(200);
    expect(first.failed).toBeLessThan(300);
    expect(first.statuses).toEqual(new Set([502]));
    expect(again.failed).toBe(first.failed);
  });

  it('delays the configured share of calls', async () => {
    // A delay honours the signal: with one already aborted, exactly the delayed calls fail.
    const aborted = AbortSignal.abort(new Error('cut'));
    const faults = new FaultInjector({ text: JSON.stringify({ product: { delayMs: 1_000, delayRatio: 0.5 } }), random: seededRandom(7) });
    const { failed } = await outcomes(faults, 1_000, aborted);
    expect(failed).toBeGreaterThan(450);
    expect(failed).toBeLessThan(550);
  });

  it('waits out a delay, and stops waiting when the call is cut', async () => {
    const faults = new FaultInjector({ text: JSON.stringify({ product: { delayMs: 40 } }) });
    let started = performance.now();
    await faults.inject('product', never);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    started = performance.now();
    await expect(faults.inject('product', AbortSignal.timeout(5))).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(35);
  });

  it('changes at run time: set, list, remove', async () => {
    const faults = new FaultInjector({ text: '{}' });
    expect(faults.enabled).toBe(true);
    expect(faults.set('product', { delayMs: 200 })).toEqual({ delayMs: 200, delayRatio: 1, abortRatio: 0, abortStatus: 503 });
    faults.set('order', { abortRatio: 0.1, routePrefix: 'GET ' });
    expect(faults.list().map((fault) => fault.dependency)).toEqual(['order', 'product']);
    faults.set('product', null);
    expect(faults.list()).toEqual([{ dependency: 'order', delayMs: 0, delayRatio: 0, abortRatio: 0.1, abortStatus: 503, routePrefix: 'GET ' }]);
  });

  it('refuses a bad FAULT_INJECTION with a message naming the problem', () => {
    expect(() => new FaultInjector({ text: '{product: 1}' })).toThrow(/FAULT_INJECTION is not valid: not JSON/);
    expect(() => new FaultInjector({ text: '{"product": {"abortRatio": 1.5}}' })).toThrow(/FAULT_INJECTION is not valid: product\.abortRatio: Too big/);
    expect(() => new FaultInjector({ text: '{"product": {}}' })).toThrow(/a fault must delay .* or fail/);
    expect(() => new FaultInjector({ text: '{"pro duct": {"abortRatio": 1}}' })).toThrow(/"pro duct": a dependency name is letters/);
  });
});
