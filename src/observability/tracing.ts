import {
  context, INVALID_SPAN_CONTEXT, propagation, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span,
} from '@opentelemetry/api';

const tracer = trace.getTracer('commerce');
// What the API's global provider delegates to while no SDK has registered one: a fresh proxy has no delegate.
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();
// The placeholder every span is while nothing is traced; it records nothing, so one serves every caller.
const NOT_TRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export { SpanKind };

/**
 * The W3C `traceparent` of the span active now, to carry across a queue (event metadata, a
 * saga row); undefined when nothing is traced, which is every call while tracing is off.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a carried `traceparent` continues; the root (a new trace) without one. */
export function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * Whether an SDK is tracing this process (`instrument.ts` started one, or a test did). Cheap
 * enough for every request: hot paths ask it before making spans, attributes and contexts
 * that would only be thrown away.
 */
export function tracingOn(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** continue this trace instead of the active context (a queued job, a resumed saga) */
  parent?: string | undefined;
}

/**
 * Runs `work` in a span of our own, active for everything it calls (pg, Redis and HTTP spans
 * nest below it); a thrown error marks the span failed and is rethrown. With tracing off no
 * span or context is made at all: `work` runs as it is, given a placeholder span.
 * @example await inSpan('outbox.publish', { kind: SpanKind.PRODUCER }, () => relay.publish(batch))
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingOn()) {
    try {
      return work(NOT_TRACED);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  const parent = options.parent === undefined ? context.active() : contextOf(options.parent);
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Marks the active span failed without ending it: a failure the code handles (a step that
 * will be retried, a compensation that backs off) still shows as an error in the trace.
 */
export function noteFailure(error: unknown): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The ids of the active span, for log lines; none while nothing is traced. */
export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // A non-recording, unsampled placeholder carries the all-zero ids: not worth a log field.
  return traceFlags === 0 && /^0+$/.test(traceId) ? undefined : { traceId, spanId };
}

export interface RecordedSpan {
  kind?: SpanKind;
  attributes?: Attributes;
  /** when the work began (e.g. when an outbox row committed); it ends now */
  startTime: Date;
}

/**
 * Records a span that already happened, under a carried `traceparent`: how the relay shows,
 * in the trace of the request that wrote an event, how long the event waited to be queued.
 * Nothing is recorded without a `traceparent` (tracing off, or the event had none).
 */
export function recordSpan(name: string, traceparent: string | undefined, span: RecordedSpan): void {
  if (!traceparent) return;
  tracer.startSpan(name, { kind: span.kind ?? SpanKind.INTERNAL, startTime: span.startTime, ...(span.attributes ? { attributes: span.attributes } : {}) }, contextOf(traceparent)).end();
}
