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
 * Attribute values longer than this are cut, unless OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT (or its
 * span-only form) says otherwise. The long ones are the SQL of `db.query.text`: the order
 * flow's CTEs run to 1-2 kB, and cut, a span exports a third lighter (1.2 → 0.8 kB on average,
 * `npm run bench:tracing`). Their first characters show the statement's shape, and a prepared
 * statement's span is named by its label and the hash of its full text.
 */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 256;

function attributeValueLengthLimit(env: NodeJS.ProcessEnv): number | undefined {
  return env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT || env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT ? undefined : DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT;
}

/** One instrumentation as the SDK takes it. */
type Instrumentation = NonNullable<NonNullable<ConstructorParameters<typeof NodeSDK>[0]>['instrumentations']>[number];

export interface NamedInstrumentation {
  /** the name `OTEL_NODE_DISABLED_INSTRUMENTATIONS` uses, as in OpenTelemetry's auto-instrumentations for Node */
  name: string;
  /** constructing one patches its library at once, so a disabled one is never constructed */
  start(): Instrumentation;
}

const INSTRUMENTATIONS: readonly NamedInstrumentation[] = [
  { name: 'http', start: () => new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0]!) }) },
  // A span per router layer names the route; one per middleware (each called "anonymous")
  // was a fifth of all spans and told nothing (npm run bench:tracing).
  { name: 'koa', start: () => new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }) },
  // A pool checkout is not a query: its span only doubled the first query of each transaction.
  { name: 'pg', start: () => new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }) },
  { name: 'ioredis', start: () => new IORedisInstrumentation({ requireParentSpan: true }) },
  { name: 'undici', start: () => new UndiciInstrumentation() },
];

/**
 * The instrumentations to load: all but those `OTEL_NODE_DISABLED_INSTRUMENTATIONS` names
 * (comma-separated, e.g. `pg,ioredis`). Their wrappers cost CPU on every query and request
 * whether or not the span is sampled, so turning one off is the way to trade its spans for
 * CPU; sampling only saves the recording and the export (docs/operations.md). A name we do
 * not load is reported, not ignored in silence.
 */
export function instrumentationsFor(env: NodeJS.ProcessEnv, warn: (message: string) => void = (message) => process.emitWarning(message)): readonly NamedInstrumentation[] {
  const disabled = new Set((env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
  const known = INSTRUMENTATIONS.map((instrumentation) => instrumentation.name);
  for (const name of disabled) {
    if (!known.includes(name)) warn(`OTEL_NODE_DISABLED_INSTRUMENTATIONS names "${name}", which is not one this application loads (${known.join(', ')})`);
  }
  return INSTRUMENTATIONS.filter((instrumentation) => !disabled.has(instrumentation.name));
}

/**
 * Starts the OpenTelemetry SDK with the maintained instrumentations for HTTP (server and
 * client), Koa, pg, ioredis and undici (less those disabled, see instrumentationsFor), exporting over OTLP/HTTP in batches. It must run
 * before those libraries are loaded, so it is started by `--import` (see instrument.ts).
 * @example const tracing = startTracing({ serviceName: 'order-service', endpoint: 'http://jaeger:4318' })
 */
export function startTracing(settings: TracingSettings): { shutdown(): Promise<void> } {
  const exporter = settings.exporter ?? new OTLPTraceExporter({ url: `${settings.endpoint!.replace(/\/$/, '')}/v1/traces` });
  const processors: SpanProcessor[] = [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })];
  const lengthLimit = attributeValueLengthLimit(process.env);
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    spanProcessors: processors,
    // Set, it would override the environment's limit: left out when the environment has one.
    ...(lengthLimit === undefined ? {} : { spanLimits: { attributeValueLengthLimit: lengthLimit } }),
    // Traces only. Unasked, the SDK also records OpenTelemetry metrics of every request and
    // exports them over OTLP, where Jaeger refuses them (ours are prom-client's, at /metrics),
    // and sets up a log exporter that nothing here writes to.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: instrumentationsFor(process.env).map((instrumentation) => instrumentation.start()),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
