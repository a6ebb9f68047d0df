import { createServer } from 'node:http';

/** What reached the sink: proof that spans were exported, and how much. */
export interface SinkCounts {
  requests: number;
  bytes: number;
  spans: number;
  /** span names of a sample of the requests (one in SAMPLE_EVERY), most frequent first */
  sampledSpanNames: Record<string, number>;
}

// Every span of an OTLP/JSON export carries one "spanId" key (a parent's is "parentSpanId"):
// counting the key finds the spans without parsing, which would cost the benchmark's CPU.
const SPAN_KEY = Buffer.from('"spanId"');
const SAMPLE_EVERY = 50;

const countOf = (body: Buffer): number => {
  let count = 0;
  for (let at = body.indexOf(SPAN_KEY); at !== -1; at = body.indexOf(SPAN_KEY, at + SPAN_KEY.length)) count += 1;
  return count;
};

const namesIn = (body: Buffer, into: Map<string, number>): void => {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: { name: string }[] }[] }[] };
    for (const span of (parsed.resourceSpans ?? []).flatMap((r) => r.scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
      into.set(span.name, (into.get(span.name) ?? 0) + 1);
    }
  } catch {
    // Not JSON (a protobuf exporter): the counts above still hold.
  }
};

/**
 * A stand-in for an OpenTelemetry collector on loopback that only counts what the OTLP/HTTP
 * exporter sends to `/v1/traces` (src/testing/trace-collector.ts keeps the spans, for tests);
 * it answers at once, as a healthy collector does, so the exporter never backs off.
 * @example const sink = await startOtlpSink(); env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url; … sink.take()
 */
export async function startOtlpSink(): Promise<{ url: string; take(): SinkCounts; close(): Promise<void> }> {
  let counts = { requests: 0, bytes: 0, spans: 0 };
  let names = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      counts.requests += 1;
      counts.bytes += body.length;
      counts.spans += countOf(body);
      if (counts.requests % SAMPLE_EVERY === 1) namesIn(body, names);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    /** the counts since the last take */
    take() {
      const taken = { ...counts, sampledSpanNames: Object.fromEntries([...names].sort((a, b) => b[1] - a[1])) };
      counts = { requests: 0, bytes: 0, spans: 0 };
      names = new Map();
      return taken;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
