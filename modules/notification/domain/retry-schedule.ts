/**
 * How often and how long a message is retried: doubling from one second up to ten minutes,
 * fifteen attempts in all (about an hour), so a mail server outage of that length loses nothing.
 */
export const RETRY_SCHEDULE = { maxAttempts: 15, firstDelayMs: 1_000, maxDelayMs: 600_000 } as const;

export type NextStep = { retryInMs: number } | { giveUp: true };

/**
 * What follows a failed attempt: another one after a backoff, or none when the failure is
 * permanent (the server refused this message for good) or the attempts are used up.
 * @example afterFailedAttempt(1, false) // → { retryInMs: 1000 }
 */
export function afterFailedAttempt(attemptsMade: number, permanent: boolean, schedule = RETRY_SCHEDULE): NextStep {
  if (permanent || attemptsMade >= schedule.maxAttempts) return { giveUp: true };
  return { retryInMs: Math.min(schedule.firstDelayMs * 2 ** Math.max(0, attemptsMade - 1), schedule.maxDelayMs) };
}

/**
 * Who may send a pending message when. The process that recorded it sends it right after
 * its commit; only after `graceMs` may any dispatcher take it (a crash left it behind).
 * A claimed message is leased for `leaseMs`, longer than the transports' own timeouts, so
 * two dispatchers never send it at once unless the first one died mid-send.
 */
export const CLAIM_TIMING = { graceMs: 5_000, leaseMs: 120_000 } as const;
