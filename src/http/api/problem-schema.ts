import { z } from 'zod';

/**
 * The RFC 9457 problem document every failure is answered with (built in src/http/errors.ts).
 * A kind of problem may add members of its own (`refundableCents`, `checks`), so the object is open
 * (and says so, where a test of the document closes every object that does not).
 */
export const ProblemDocument = z.looseObject({
  type: z.url().describe('https://problems.commerce.dev/<code>'),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional(),
  instance: z.string().describe('the request path'),
  code: z.string().describe('stable: match on this, never on the title or detail'),
  correlationId: z.string().describe('the request id (x-request-id); quote it when reporting a problem'),
  errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string() })).optional()
    .describe('each field that failed validation'),
}).meta({ id: 'Problem', description: 'An RFC 9457 problem: what went wrong, with a stable `code`' });

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
