import type { Context } from 'koa';
import type { z } from 'zod';
import type { Principal } from '../../security/access-tokens.js';
import type { Problem, ProblemKind } from '../problem.js';

/** Who may call an operation: anyone, any signed-in user, or an admin (the kernel's guards). */
export type Access = 'public' | 'user' | 'admin';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * The zod schemas of a request's parts. Each declared part is parsed before the handler runs
 * (params, headers, query, then body); a failure is the usual 400 `validation-failed` problem.
 * Use `z.strictObject` for query and body, so an unknown field is refused rather than ignored.
 */
export interface RequestSchemas {
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** only the headers it names are read, by name and case-insensitively */
  headers?: z.ZodObject;
  body?: z.ZodType;
}

/** One successful answer: its JSON body (none for an empty answer) and the headers it sets. */
export interface ResponseSpec {
  description: string;
  body?: z.ZodType;
  headers?: z.ZodObject;
}

export type Responses = { readonly [status: number]: ResponseSpec };

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What the handler receives: the parsed parts, and the caller behind a guard. */
export interface ParsedRequest<R extends RequestSchemas, A extends Access> {
  params: Parsed<R['params']>;
  headers: Parsed<R['headers']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  principal: A extends 'public' ? undefined : Principal;
}

type ReplyTo<S extends number, Spec extends ResponseSpec> = { status: S }
  & (Spec['body'] extends z.ZodType ? { body: z.input<Spec['body']> } : { body?: undefined })
  & (Spec['headers'] extends z.ZodObject ? { headers: z.input<Spec['headers']> } : { headers?: undefined });

/** The handler's answer: one of the declared statuses, with the body and headers declared for it. */
export type Reply<R extends Responses> = { [S in keyof R & number]: ReplyTo<S, R[S]> }[keyof R & number];

/** An HTTP operation, declared once: the route, its documentation and its input schemas; its handler follows (`.handle`). */
export interface Operation<R extends RequestSchemas = RequestSchemas, Out extends Responses = Responses, A extends Access = Access> {
  /** unique across the API, a verb phrase: `placeOrder` */
  operationId: string;
  method: HttpMethod;
  /** Koa style, e.g. `/api/v1/orders/:id` (documented as `/api/v1/orders/{id}`) */
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  access: A;
  request?: R;
  responses: Out;
  /** problems the use case may raise; those of validation, authentication and the JSON body are added by the kernel */
  problems?: readonly ProblemKind[];
  /** a required header (named as in `request.headers`) whose absence has a problem of its own rather than `validation-failed` */
  missingHeaders?: { readonly [header: string]: () => Problem };
}

/**
 * Reads the parsed input, calls one use case, answers with a declared status. A separate
 * step from the declaration so the compiler checks the answer against the fixed responses
 * (inferred in one object, literal statuses would widen to `number`).
 */
export type Handler<R extends RequestSchemas, Out extends Responses, A extends Access> =
  (input: ParsedRequest<R, A>, ctx: Context) => Reply<Out> | Promise<Reply<Out>>;

/** An operation as the OpenAPI document sees it. */
export type DocumentedOperation = Omit<Operation, 'missingHeaders'>;
