import { z } from 'zod';
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import {
  BadRequest, Forbidden, InternalError, PayloadTooLarge, Unauthenticated, UnsupportedMediaType, ValidationFailed, type ProblemKind,
} from '../problem.js';
import type { DocumentedOperation } from './operation.js';
import { PROBLEM_MEDIA_TYPE, ProblemDocument } from './problem-schema.js';

const METHODS_WITH_BODY = new Set(['post', 'put', 'patch']);

// Headers some problems carry: the challenge of a missing token, the wait of a throttled login.
const PROBLEM_HEADERS: Record<number, z.ZodObject> = {
  401: z.object({ 'WWW-Authenticate': z.string().optional().describe('`Bearer realm="commerce"` when an access token is missing or invalid') }),
  429: z.object({ 'Retry-After': z.string().optional().describe('seconds to wait before trying again') }),
};

/**
 * Every problem an operation can answer: those its use case raises, plus those the kernel
 * adds on the way (validation, the JSON body, the guards) and the opaque 500.
 * @example problemsOf(operation).map((kind) => kind.code) // ['validation-failed', 'unauthenticated', …]
 */
export function problemsOf(operation: DocumentedOperation): ProblemKind[] {
  const kinds: ProblemKind[] = [];
  if (Object.values(operation.request ?? {}).some(Boolean)) kinds.push(ValidationFailed);
  // The JSON body parser runs before any route, for every request that may carry a body.
  if (METHODS_WITH_BODY.has(operation.method)) kinds.push(BadRequest, PayloadTooLarge, UnsupportedMediaType);
  if (operation.access !== 'public') kinds.push(Unauthenticated);
  if (operation.access === 'admin') kinds.push(Forbidden);
  kinds.push(...(operation.problems ?? []), InternalError);
  return kinds;
}

/**
 * The problem+json responses of an operation, one per status, naming each code it may carry.
 * @example problemResponses(operation)['409'] // { description: '`sku-already-exists`: SKU already in use', content: … }
 */
export function problemResponses(operation: DocumentedOperation): Record<string, ResponseConfig> {
  const byStatus = new Map<number, Map<string, string>>();
  for (const kind of problemsOf(operation)) {
    const codes = byStatus.get(kind.status) ?? new Map<string, string>();
    codes.set(kind.code, kind.title);
    byStatus.set(kind.status, codes);
  }
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = PROBLEM_HEADERS[status];
    responses[status] = {
      description: [...codes].map(([code, title]) => `\`${code}\`: ${title}`).join('; '),
      ...(headers ? { headers } : {}),
      content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemDocument } },
    };
  }
  return responses;
}
