import {
  ExponentialBackoff, handleWhen, isTaskCancelledError, retry, timeout, TimeoutStrategy, wrap,
  type ICancellationContext, type IRetryContext,
} from 'cockatiel';
import type { Logger } from '../../../src/observability/logger.js';
import { isGatewayFailure, isRetryableGatewayFailure } from './payment-gateway.js';

export interface PaymentGatewayPolicy {
  execute<T>(call: (context: IRetryContext & ICancellationContext) => PromiseLike<T> | T): Promise<T>;
}

export interface PaymentGatewayPolicySettings {
  /** calls in all, the first included (`PAYMENT_GATEWAY_ATTEMPTS`) */
  attempts: number;
  /** per call (`PAYMENT_GATEWAY_TIMEOUT_MS`) */
  timeoutMs: number;
  log: Logger;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

const DEPENDENCY = 'payment-gateway';

// Only codes reach the log, never an error's text: a gateway's message could echo card data.
const failureOf = (reason: { error: Error } | { value: unknown }) => {
  if (!('error' in reason)) return { code: 'unexpected-result' };
  if (isGatewayFailure(reason.error)) return { code: reason.error.code };
  return { code: isTaskCancelledError(reason.error) ? 'timeout' : 'error' };
};

/**
 * Every call to the card gateway goes through this: a timeout that cancels the call
 * (the gateway gets an AbortSignal) inside a retry with exponential backoff and
 * decorrelated jitter, so many payments failing at once do not retry in step. Only
 * retryable gateway failures are retried, which is safe because every call carries an
 * idempotency key. Retries and give-ups are logged here, once, with the module and the
 * correlation id of the unit of work.
 * @example const answer = await policy.execute(({ signal }) => gateway.charge({ …, signal }))
 */
export function paymentGatewayPolicy(settings: PaymentGatewayPolicySettings): PaymentGatewayPolicy {
  const { log } = settings;
  const retryPolicy = retry(handleWhen((error) => isRetryableGatewayFailure(error) || isTaskCancelledError(error)), {
    maxAttempts: settings.attempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: settings.initialDelayMs ?? 100, maxDelay: settings.maxDelayMs ?? 2_000 }),
  });
  const timeoutPolicy = timeout(settings.timeoutMs, TimeoutStrategy.Cooperative);

  retryPolicy.onRetry(({ attempt, delay, ...reason }) =>
    log.warn({ dependency: DEPENDENCY, attempt, delayMs: Math.round(delay), ...failureOf(reason) }, 'payment gateway call failed; retrying'));
  retryPolicy.onGiveUp((reason) => {
    if ('error' in reason && (isRetryableGatewayFailure(reason.error) || isTaskCancelledError(reason.error))) {
      log.warn({ dependency: DEPENDENCY, attempts: settings.attempts, ...failureOf(reason) }, 'payment gateway still failing; giving up');
    }
  });
  timeoutPolicy.onTimeout(() => log.warn({ dependency: DEPENDENCY, timeoutMs: settings.timeoutMs }, 'payment gateway call timed out'));

  const policy = wrap(retryPolicy, timeoutPolicy);
  // Each call gets a signal of its own: without one, cockatiel hangs every concurrent call's
  // timeout on one shared signal, and past ten payments at once Node warns of a listener leak.
  return { execute: (call) => policy.execute(call, new AbortController().signal) };
}
