/**
 * Loaded with `node --import` before the application (`npm start`, the Dockerfile, the
 * extracted services), so the instrumentations patch HTTP, Koa, pg and ioredis before they
 * load. Tracing starts only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise nothing is
 * loaded and the API's no-op tracer makes our own spans cost next to nothing.
 */
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint) {
  const { startTracing } = await import('./tracing-sdk.js');
  // An extracted service is named by its folder (or `npm run service -- <name>`), before its own code can say so.
  const [, script = '', module] = process.argv;
  const service = /extracted\/([a-z]+-service)\//.exec(script)?.[1] ?? (script.endsWith('scripts/service.ts') && module ? `${module}-service` : undefined);
  const tracing = startTracing({ serviceName: process.env.OTEL_SERVICE_NAME ?? service ?? process.env.SERVICE_NAME ?? 'monolith', endpoint });
  // Spans still buffered are sent before the process ends (SIGTERM runs the app's own shutdown first).
  process.once('beforeExit', () => { void tracing.shutdown(); });
}
