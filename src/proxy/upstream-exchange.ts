import type { ServerResponse } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface UpstreamHead {
  status: number;
  headers: IncomingHttpHeaders;
}

/**
 * One request to an upstream, streamed: `head` settles when the upstream's status and
 * headers arrive (that is what the resilience policy times and judges), and the body is
 * then piped to the client with backpressure, never buffered whole. Chunks arriving before
 * the client side is attached wait in a short list.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly head: Promise<UpstreamHead>;
  private settleHead!: { resolve: (head: UpstreamHead) => void; reject: (error: Error) => void };
  private headArrived = false;
  private controller: Dispatcher.DispatchController | undefined;
  private client: ServerResponse | undefined;
  private early: Buffer[] = [];
  private ended = false;
  private abortReason: Error | undefined;

  constructor() {
    this.head = new Promise((resolve, reject) => { this.settleHead = { resolve, reject }; });
    // A head nobody awaits any more (timed out, discarded) must not become an unhandled rejection.
    this.head.catch(() => undefined);
  }

  /** Stops the exchange: before the head, the policy sees `reason`; after it, the stream is cut. */
  abort(reason: Error): void {
    this.abortReason = reason;
    if (this.controller) this.controller.abort(reason);
    if (!this.headArrived) this.settleHead.reject(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return;
    this.headArrived = true;
    this.settleHead.resolve({ status, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const client = this.client;
    if (!client) {
      this.early.push(chunk);
      return;
    }
    if (!client.write(chunk)) {
      controller.pause();
      client.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    this.client?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (!this.headArrived) this.settleHead.reject(error);
    else this.client?.destroy(error);
  }

  /**
   * Sends the body to the client; the caller has written the status line and headers.
   * `sent` is called once the response has gone out in full (not when it was cut short).
   */
  pipeTo(client: ServerResponse, sent?: () => void): void {
    this.client = client;
    for (const chunk of this.early) client.write(chunk);
    this.early = [];
    if (this.ended) client.end();
    // One listener for both ends ('close' follows 'finish' on a response sent in full):
    // a client that goes away takes the upstream request with it.
    client.once('close', () => {
      if (client.writableFinished) sent?.();
      else this.controller?.abort(new Error('the client went away'));
    });
  }
}
