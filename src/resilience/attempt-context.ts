import type { Deadline } from './deadline.js';

/** What one attempt of a call is given. */
export interface CallContext {
  /** aborted when the attempt times out, the deadline passes or the caller gives up: pass it to the HTTP client */
  readonly signal: AbortSignal;
  /** the same news as `signal`, without making one: `listener` is called once, with the reason, when the attempt is aborted */
  onAbort(listener: (reason: Error) => void): void;
  /** 1 for the first attempt */
  readonly attempt: number;
  /** when this attempt stops waiting: send `deadline.toHeader()` as `x-request-deadline-ms` */
  readonly deadline: Deadline;
}

/**
 * One attempt's context, whose abort is made only as far as it is used. An AbortController and
 * its listeners (Node's EventTarget) cost more than the rest of a proxied request's bookkeeping
 * together, and most attempts end without being aborted: so the signal is made the first time
 * someone asks for it, and a caller that only needs a callback (`onAbort`) never makes one.
 * @example const attempt = new AttemptContext(1, deadline); const timer = setTimeout(() => attempt.abort(reason), ms); await call(attempt)
 */
export class AttemptContext implements CallContext {
  private controller: AbortController | undefined;
  private listeners: Array<(reason: Error) => void> | undefined;
  private why: Error | undefined;

  constructor(readonly attempt: number, readonly deadline: Deadline) {}

  get aborted(): boolean {
    return this.why !== undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.why) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  onAbort(listener: (reason: Error) => void): void {
    if (this.why) {
      listener(this.why);
      return;
    }
    (this.listeners ??= []).push(listener);
  }

  /** Aborts once; later calls are ignored, as AbortController's are. */
  abort(reason: Error): void {
    if (this.why) return;
    this.why = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }
}
