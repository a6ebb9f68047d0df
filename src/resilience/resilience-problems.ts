import { problemKind, type Problem, type ProblemKind } from '../http/problem.js';
import { DEADLINE_EXCEEDED_CODE, UPSTREAM_TIMEOUT_CODE } from './failures.js';

/**
 * How a call through the resilience layer finally fails, as the HTTP layer answers it.
 * A caller that does not catch them lets the client see a 503 or 504 problem+json.
 */
export const CircuitOpen = problemKind(503, 'circuit-open', 'A dependency is failing; calls to it are paused');
export const BulkheadFull = problemKind(503, 'bulkhead-full', 'Too many calls to a dependency at once');
export const UpstreamTimeout = problemKind(504, UPSTREAM_TIMEOUT_CODE, 'A dependency did not answer in time');
export const UpstreamUnavailable = problemKind(503, 'upstream-unavailable', 'A dependency is unavailable');
export const DeadlineExceeded = problemKind(504, DEADLINE_EXCEEDED_CODE, "The caller's deadline has passed");

/** Every problem `ResilientDependency.execute` raises: for an operation's `problems`. */
export const RESILIENCE_PROBLEMS: readonly ProblemKind[] = [CircuitOpen, BulkheadFull, UpstreamTimeout, UpstreamUnavailable, DeadlineExceeded];

/** Keeps the failure behind a problem for logs and debugging; the problem+json never shows it. */
export function withCause(problem: Problem, cause: unknown): Problem {
  problem.cause = cause;
  return problem;
}
