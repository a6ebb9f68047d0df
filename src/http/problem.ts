/**
 * Failures the HTTP layer turns into RFC 9457 problem+json. Domain code raises
 * them with a stable `code`; the error middleware is the only place that maps
 * them to a response, so no caller ever matches on a message.
 */
const PROBLEM = Symbol.for('commerce.problem');

export interface ProblemDetails {
  status: number;
  code: string;
  title: string;
  detail?: string;
  /** extra members of the problem document, e.g. validation `errors` */
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export class Problem extends Error {
  readonly [PROBLEM] = true;
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(details: ProblemDetails) {
    super(details.detail ?? details.title);
    this.name = 'Problem';
    this.status = details.status;
    this.code = details.code;
    this.title = details.title;
    this.detail = details.detail;
    this.extensions = details.extensions ?? {};
    this.headers = details.headers ?? {};
  }
}

export function isProblem(error: unknown): error is Problem {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[PROBLEM] === true;
}

/** A kind of problem: raises one (`Kind('detail')`) and says its status and code, so an API operation can document what it answers. */
export interface ProblemKind {
  (detail?: string, extensions?: Record<string, unknown>, headers?: Record<string, string>): Problem;
  readonly status: number;
  readonly code: string;
  readonly title: string;
}

/**
 * Declares a reusable kind of problem once, with its status and code.
 * @example const EmailTaken = problemKind(409, 'email-taken', 'Email already registered'); throw EmailTaken('…')
 */
export function problemKind(status: number, code: string, title: string): ProblemKind {
  const raise = (detail?: string, extensions?: Record<string, unknown>, headers?: Record<string, string>): Problem =>
    new Problem({ status, code, title, ...(detail === undefined ? {} : { detail }), ...(extensions ? { extensions } : {}), ...(headers ? { headers } : {}) });
  return Object.assign(raise, { status, code, title });
}

export const BadRequest = problemKind(400, 'bad-request', 'Bad request');
export const ValidationFailed = problemKind(400, 'validation-failed', 'The request is not valid');
export const Unauthenticated = problemKind(401, 'unauthenticated', 'Authentication required');
export const Forbidden = problemKind(403, 'forbidden', 'Not allowed');
export const NotFound = problemKind(404, 'not-found', 'Not found');
export const Conflict = problemKind(409, 'conflict', 'Conflict');
export const TooManyRequests = problemKind(429, 'too-many-requests', 'Too many requests');
export const ServiceUnavailable = problemKind(503, 'service-unavailable', 'Service unavailable');
// Answered by the HTTP layer itself, before or after any handler (json-body.ts, errors.ts).
export const PayloadTooLarge = problemKind(413, 'payload-too-large', 'Payload too large');
export const UnsupportedMediaType = problemKind(415, 'unsupported-media-type', 'Unsupported media type');
export const InternalError = problemKind(500, 'internal-error', 'Internal server error');
