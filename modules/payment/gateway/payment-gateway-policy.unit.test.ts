import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runWithContext } from '../../../src/observability/request-context.js';
import { gatewayRejected, gatewayTimedOut, gatewayUnavailable, isGatewayFailure } from './payment-gateway.js';
import { paymentGatewayPolicy } from './payment-gateway-policy.js';

/** A logger that keeps its lines, to check what the policy says and that it says no card data. */
function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug', mixin: () => ({ correlationId: 'corr-1' }) }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log: log.child({ module: 'payment' }), lines };
}

const policyWith = (attempts: number, timeoutMs = 1_000) => {
  const { log, lines } = recordingLog();
  return { policy: paymentGatewayPolicy({ attempts, timeoutMs, log, initialDelayMs: 1, maxDelayMs: 5 }), lines };
};

describe('paymentGatewayPolicy', () => {
  it('retries a retryable failure until the gateway answers, logging each retry with module and correlation id', async () => {
    const { policy, lines } = policyWith(4);
    let calls = 0;
    const answer = await runWithContext({ correlationId: 'corr-1' }, () => policy.execute(async () => {
      calls += 1;
      if (calls < 3) throw gatewayUnavailable('503');
      return 'approved';
    }));
    expect(answer).toBe('approved');
    expect(calls).toBe(3);
    const retries = lines.filter((line) => line.msg === 'payment gateway call failed; retrying');
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatchObject({ module: 'payment', correlationId: 'corr-1', dependency: 'payment-gateway', attempt: 1, code: 'unavailable' });
  });

  it('gives up after PAYMENT_GATEWAY_ATTEMPTS calls in all', async () => {
    const { policy, lines } = policyWith(3);
    let calls = 0;
    const failure = await policy.execute(async () => {
      calls += 1;
      throw gatewayUnavailable('503');
    }).catch((error: unknown) => error);
    expect(isGatewayFailure(failure)).toBe(true);
    expect(calls).toBe(3);
    expect(lines.some((line) => line.msg === 'payment gateway still failing; giving up')).toBe(true);
  });

  it('does not retry what the gateway refused, nor an unexpected error', async () => {
    const { policy } = policyWith(4);
    let calls = 0;
    await expect(policy.execute(async () => {
      calls += 1;
      throw gatewayRejected('no such charge');
    })).rejects.toMatchObject({ code: 'rejected' });
    await expect(policy.execute(async () => {
      calls += 1;
      throw new TypeError('a bug');
    })).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(2);
  });

  it('cancels a slow call through its signal and tries again', async () => {
    const { policy, lines } = policyWith(2, 30);
    const aborted: boolean[] = [];
    const started = Date.now();
    const failure = await policy.execute(({ signal }) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        aborted.push(signal.aborted);
        reject(gatewayTimedOut('gave up waiting'));
      });
    })).catch((error: unknown) => error);
    expect(aborted).toEqual([true, true]);
    expect(failure).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lines.filter((line) => line.msg === 'payment gateway call timed out')).toHaveLength(2);
  });

  it('logs failure codes, never an error text that could echo card data', async () => {
    const { policy, lines } = policyWith(2);
    await policy.execute(async () => { throw gatewayUnavailable('card 4242424242424242 is on fire'); }).catch(() => undefined);
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain('4242424242424242');
  });

  it('takes many payments at once without Node warning of a listener leak', async () => {
    const { policy } = policyWith(3);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, index) =>
        policy.execute(({ signal }) => new Promise((resolve) => setTimeout(() => resolve(signal.aborted ? 'cut' : `approved ${index}`), 5)))));
      expect(answers).toHaveLength(50);
      expect(answers.every((answer) => String(answer).startsWith('approved'))).toBe(true);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
