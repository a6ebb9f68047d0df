/**
 * What a failed remote call means for the resilience layer: may it be tried again, and
 * does it say the dependency is unwell (so it counts against its circuit)? Judged from
 * facts only — an HTTP status, an error code — never from a message.
 */

/** The code of the failure raised when one attempt ran out of time (`timeoutMs`). */
export const UPSTREAM_TIMEOUT_CODE = 'upstream-timeout';
/** Problem code of a caller's deadline that has passed: nobody waits for the answer any more. */
export const DEADLINE_EXCEEDED_CODE = 'deadline-exceeded';

export interface UpstreamFailureDetails {
  /** the HTTP status the dependency answered with, when it answered */
  status?: number;
  /** a stable code; defaults to `http-<status>`, or `upstream-failure` without a status */
  code?: string;
  cause?: unknown;
}

/**
 * A remote dependency failed. A caller throws it for an answer it will not use (a 503, a
 * 502…) so the policy can judge it by its status; connection errors need no wrapping, their
 * codes (ECONNREFUSED, UND_ERR_SOCKET…) are recognised as they are.
 * @example if (head.status >= 500) throw new UpstreamFailure(`product answered ${head.status}`, { status: head.status })
 */
export class UpstreamFailure extends Error {
  readonly status: number | undefined;
  readonly code: string;

  constructor(message: string, details: UpstreamFailureDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'UpstreamFailure';
    this.status = details.status;
    this.code = details.code ?? (details.status === undefined ? 'upstream-failure' : `http-${details.status}`);
  }
}

// Failures of the connection itself: nothing (or nothing complete) reached the dependency,
// or it went away; another attempt may well meet a healthy instance.
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
]);
// The connection was never established: the request was not sent at all.
const NEVER_CONNECTED_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
// 500 is left out on purpose: it usually is a bug that answers the same the next time.
const RETRYABLE_STATUSES = new Set([502, 503, 504]);
// undici (`fetch failed`) and Node (AggregateError of happy eyeballs) hide the code a level or two down.
const MAX_CAUSE_DEPTH = 5;

type Facts = Record<string, unknown>;
const factsOf = (error: unknown): Facts | undefined =>
  typeof error === 'object' && error !== null ? (error as Facts) : undefined;

/** The HTTP status a failure carries (`status`, or `statusCode` as undici's errors spell it). */
export function statusOf(error: unknown): number | undefined {
  const facts = factsOf(error);
  const status = facts?.status ?? facts?.statusCode;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = factsOf(error)?.code;
  return typeof code === 'string' ? code : undefined;
}

function hasNetworkCode(error: unknown, codes: ReadonlySet<string>, depth = 0): boolean {
  const facts = factsOf(error);
  if (!facts || depth > MAX_CAUSE_DEPTH) return false;
  const code = codeOf(error);
  if (code !== undefined && codes.has(code)) return true;
  if (hasNetworkCode(facts.cause, codes, depth + 1)) return true;
  return Array.isArray(facts.errors) && facts.errors.some((inner) => hasNetworkCode(inner, codes, depth + 1));
}

const isTimeout = (error: unknown): boolean => error instanceof UpstreamFailure && error.code === UPSTREAM_TIMEOUT_CODE;
const isDeadline = (error: unknown): boolean => codeOf(error) === DEADLINE_EXCEEDED_CODE;

/**
 * Worth another attempt: the connection failed, the dependency said it is overloaded or
 * its own upstream failed (502/503/504), or our timeout cut the attempt. Never a 4xx (the
 * same request gets the same answer), a 500, a passed deadline or an unknown error.
 */
export function isRetryableFailure(error: unknown): boolean {
  if (isTimeout(error)) return true;
  if (isDeadline(error)) return false;
  const status = statusOf(error);
  if (status !== undefined) return RETRYABLE_STATUSES.has(status);
  return hasNetworkCode(error, RETRYABLE_NETWORK_CODES);
}

/**
 * Says the dependency is unwell: network failures, any 5xx, timeouts. A 4xx is the caller's
 * mistake and a passed deadline the caller's budget, so neither opens a circuit.
 */
export function countsAgainstCircuit(error: unknown): boolean {
  if (isTimeout(error)) return true;
  if (isDeadline(error)) return false;
  const status = statusOf(error);
  if (status !== undefined) return status >= 500;
  return hasNetworkCode(error, RETRYABLE_NETWORK_CODES);
}

/**
 * The connection was never made, so not one byte of the request left this process: even a
 * write may be sent again, to this instance or another. A connection that broke later
 * (ECONNRESET, UND_ERR_SOCKET) may have delivered the request, so it is not among these.
 */
export function neverReached(error: unknown): boolean {
  return hasNetworkCode(error, NEVER_CONNECTED_CODES);
}

/** The dependency answered, and refused (4xx): it is healthy, whatever the caller makes of it. */
export function isUpstreamAnswer(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500;
}

/** What a log line may say about a failure: its code and status, never its message (it could echo a URL or a body). */
export function failureSummary(error: unknown): { code?: string; status?: number } {
  const status = statusOf(error);
  const code = codeOf(error) ?? (error instanceof Error ? error.name : undefined);
  return { ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }) };
}
