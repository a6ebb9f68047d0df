import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TracingSettings {
  serviceName: string;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces` */
  endpoint?: string;
  /** another exporter (tests keep spans in memory) */
  exporter?: SpanExporter;
}

// Probes and scrapes would be most of the traces and tell nothing.
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts the OpenTelemetry SDK with the maintained instrumentations for HTTP (server and
 * client), Koa, pg, ioredis and undici, exporting over OTLP/HTTP in batches. It must run
 * before those libraries are loaded, so it is started by `--import` (see instrument.ts).
 * @example const tracing = startTracing({ serviceName: 'order-service', endpoint: 'http://jaeger:4318' })
 */
export function startTracing(settings: TracingSettings): { shutdown(): Promise<void> } {
  const exporter = settings.exporter ?? new OTLPTraceExporter({ url: `${settings.endpoint!.replace(/\/$/, '')}/v1/traces` });
  const processors: SpanProcessor[] = [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })];
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    spanProcessors: processors,
    // Traces only. Unasked, the SDK also records OpenTelemetry metrics of every request and
    // exports them over OTLP, where Jaeger refuses them (ours are prom-client's, at /metrics),
    // and sets up a log exporter that nothing here writes to.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]!) }),
      // A span per router layer names the route; one per middleware (each called "anonymous")
      // was a fifth of all spans and told nothing (npm run bench:tracing).
      new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
      // A pool checkout is not a query: its span only doubled the first query of each transaction.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
