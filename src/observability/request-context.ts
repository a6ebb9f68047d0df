import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and outgoing event of one unit of work carries. */
export interface RequestContext {
  correlationId: string;
  actorId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` with `context` visible to the logger and the outbox. */
export function runWithContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
