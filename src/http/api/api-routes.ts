import type Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import { principalOf, type Guards } from '../authenticate.js';
import type { ApiCatalogue } from './api-catalogue.js';
import type { Access, Handler, Operation, ParsedRequest, RequestSchemas, Responses } from './operation.js';
import { pathParameters } from './path-template.js';
import { parseRequest } from './request-input.js';

export interface DeclaredOperation<R extends RequestSchemas, Out extends Responses, A extends Access> {
  /** serves the operation with this handler; until then it is neither served nor documented */
  handle(handler: Handler<R, Out, A>): void;
}

/**
 * The one way to declare an HTTP operation: `route(...).handle(...)` registers it on a Koa
 * router behind the guard its `access` names, parses its input with its zod schemas, and
 * records it for the OpenAPI document, so what is served and what is documented agree.
 * @example api.route({ operationId: 'readProduct', method: 'get', path: '/api/v1/products/:id', … }).handle(async ({ params }, ctx) => …)
 */
export class ApiRoutes {
  private readonly unhandled = new Set<string>();

  constructor(
    private readonly router: Router,
    private readonly guards: Guards,
    /** shared by every ApiRoutes of a process: what its document describes */
    private readonly catalogue: ApiCatalogue,
    /**
     * Runs first on each of these operations and on nothing else. (A `router.use` would not do:
     * nested in a parent router, it runs on every request that any later router answers.)
     */
    private readonly first: readonly Middleware[] = [],
  ) {}

  route<R extends RequestSchemas, Out extends Responses, A extends Access>(operation: Operation<R, Out, A>): DeclaredOperation<R, Out, A> {
    checkParameters(operation);
    this.unhandled.add(operation.operationId);
    return {
      handle: (handler) => {
        const { missingHeaders: _missing, ...documented } = operation as unknown as Operation;
        this.catalogue.add(documented);
        this.unhandled.delete(operation.operationId);
        // One middleware per operation: the Koa instrumentation traces each middleware of a route
        // as a span of its own, all named alike, and three spans per request told no more than one.
        this.router.register(operation.path, [operation.method], [compose([...this.first, ...this.guard(operation.access), answer(operation, handler)])]);
      },
    };
  }

  /** Tags group operations in the document; describe each tag once. */
  describeTag(name: string, description: string): void {
    this.catalogue.describeTag(name, description);
  }

  /** Fails the start when an operation was declared but never given its handler. */
  assertHandled(): void {
    if (this.unhandled.size > 0) throw new Error(`Operations declared without .handle(): ${[...this.unhandled].join(', ')}`);
  }

  private guard(access: Access): Middleware[] {
    if (access === 'user') return [this.guards.requireUser];
    if (access === 'admin') return [this.guards.requireRole('admin')];
    return [];
  }
}

function answer<R extends RequestSchemas, Out extends Responses, A extends Access>(operation: Operation<R, Out, A>, handler: Handler<R, Out, A>): Middleware {
  return async (ctx) => {
    const input = parseRequest(ctx, operation);
    const principal = operation.access === 'public' ? undefined : principalOf(ctx);
    const reply = await handler({ ...input, principal } as ParsedRequest<R, A>, ctx);
    ctx.status = reply.status;
    for (const [name, value] of Object.entries(reply.headers ?? {})) {
      if (value !== undefined) ctx.set(name, String(value));
    }
    if (reply.body !== undefined) ctx.body = reply.body;
  };
}

/** A path parameter without a schema would be undocumented; a schema without one, never filled. */
function checkParameters(operation: Operation<RequestSchemas, Responses, Access>): void {
  const declared = Object.keys(operation.request?.params?.shape ?? {}).sort();
  const inPath = pathParameters(operation.path).sort();
  if (declared.join() !== inPath.join()) {
    throw new Error(`${operation.operationId}: path ${operation.path} has parameters [${inPath.join(', ')}] but its params schema declares [${declared.join(', ')}]`);
  }
}
