/**
 * `npm run bench:tracing`: what tracing costs, in one run. The order benchmark
 * (scripts/bench/order-bench.ts) runs with tracing off and with tracing on, the server
 * loaded with `--import instrument.ts` both times exactly as `npm start` loads it; only
 * OTEL_EXPORTER_OTLP_ENDPOINT differs, pointing at a local OTLP/HTTP sink that counts the
 * spans it receives. BENCH_ROUNDS rounds (default 4) alternate the order, off-on then
 * on-off, so a machine that gets busier or quieter during the run weighs on both sides;
 * one 15 s phase can swing by a quarter on a shared machine, so two rounds were too few.
 * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG pass through to the server, to measure sampling.
 * Writes bench-results/tracing.json. The target (issue #13): throughput loss under 10%.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { runOrderBench, type OrderBenchResult } from './order-bench.js';
import { startOtlpSink, type SinkCounts } from './otlp-sink.js';
import { round } from './percentiles.js';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
// A rate this machine sustains (about 30-40 orders/s confirm at best), so the latencies compare
// tracing's cost rather than two backlogs.
const RATE = Number(process.env.BENCH_RATE ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const INSTRUMENT = './src/observability/instrument.ts';
const TARGET_LOSS_PERCENT = 10;

type Mode = 'off' | 'on';
interface Run { mode: Mode; result: OrderBenchResult; exported: Omit<SinkCounts, 'sampledSpanNames'> }

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

const sink = await startOtlpSink();
const runs: Run[] = [];
let sampledSpanNames: Record<string, number> = {};
process.stdout.write(`bench:tracing  ${CUSTOMERS} customers, ${SECONDS} s per phase, latency at ${RATE}/s, ${ROUNDS} round(s)\n`);
try {
  for (let pass = 0; pass < ROUNDS; pass += 1) {
    const order: Mode[] = pass % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const mode of order) {
      sink.take();
      const result = await runOrderBench({
        customers: CUSTOMERS, seconds: SECONDS, rate: RATE, run: `tracing-${mode}-${pass}`, serverImports: [INSTRUMENT],
        // Off: unset, whatever this shell has. OTEL_SERVICE_NAME too, so the spans are the monolith's as in production.
        serverEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: mode === 'on' ? sink.url : undefined, OTEL_SERVICE_NAME: undefined },
      });
      const { sampledSpanNames: names, ...exported } = sink.take();
      if (mode === 'off' && exported.requests > 0) throw new Error(`tracing was off, yet ${exported.spans} spans reached the sink`);
      if (mode === 'on' && exported.spans === 0) throw new Error('tracing was on, yet no span reached the sink');
      if (mode === 'on') sampledSpanNames = names;
      runs.push({ mode, result, exported });
      process.stdout.write(`  tracing ${mode}: ${result.confirmedPerSec} orders/s confirmed, ${result.serverCpuMsPerOrder} ms server CPU per order, POST p95 ${result.postP95Ms} ms, ${exported.spans} spans exported\n`);
    }
  }
} finally {
  await sink.close();
}

const of = (mode: Mode) => runs.filter((run) => run.mode === mode);
const meanOf = (mode: Mode, pick: (result: OrderBenchResult) => number) => round(mean(of(mode).map((run) => pick(run.result))), 2);
const offPerSec = meanOf('off', (r) => r.confirmedPerSec);
const onPerSec = meanOf('on', (r) => r.confirmedPerSec);
const lossPercent = round(((offPerSec - onPerSec) / offPerSec) * 100, 1);
const offCpuMsPerOrder = meanOf('off', (r) => r.serverCpuMsPerOrder);
const onCpuMsPerOrder = meanOf('on', (r) => r.serverCpuMsPerOrder);
const exported = of('on').map((run) => run.exported);
const result = {
  offPerSec, onPerSec, lossPercent,
  // The server's CPU per order: what tracing adds to the app's own work, whatever else the machine runs.
  offCpuMsPerOrder, onCpuMsPerOrder, cpuCostPercent: round(((onCpuMsPerOrder - offCpuMsPerOrder) / offCpuMsPerOrder) * 100, 1),
  spansExported: exported.reduce((sum, counts) => sum + counts.spans, 0),
  exportRequests: exported.reduce((sum, counts) => sum + counts.requests, 0),
  exportedBytes: exported.reduce((sum, counts) => sum + counts.bytes, 0),
  offPostP95Ms: meanOf('off', (r) => r.postP95Ms), onPostP95Ms: meanOf('on', (r) => r.postP95Ms),
  offConfirmP95Ms: meanOf('off', (r) => r.confirmP95Ms), onConfirmP95Ms: meanOf('on', (r) => r.confirmP95Ms),
  // OTEL_TRACES_SAMPLER(_ARG) reach the server from this shell: e.g. parentbased_traceidratio and 0.1.
  sampler: process.env.OTEL_TRACES_SAMPLER ? `${process.env.OTEL_TRACES_SAMPLER} ${process.env.OTEL_TRACES_SAMPLER_ARG ?? ''}`.trim() : 'parentbased_always_on (the default)',
  latencyRatePerSec: RATE, customers: CUSTOMERS, seconds: SECONDS, rounds: ROUNDS,
  runs: runs.map(({ mode, result: r, exported: e }) => ({ mode, confirmedPerSec: r.confirmedPerSec, serverCpuMsPerOrder: r.serverCpuMsPerOrder, postP95Ms: r.postP95Ms, confirmP95Ms: r.confirmP95Ms, spans: e.spans })),
  sampledSpanNames,
  targets: { lossPercentBelow: TARGET_LOSS_PERCENT },
  met: lossPercent < TARGET_LOSS_PERCENT,
  // the server is forked with this same executable: the runtime's async context costs differ (Node 20 against 24)
  node: process.version,
  measuredAt: new Date().toISOString(),
};
console.table([
  { measure: `orders/s reaching CONFIRMED (${CUSTOMERS} customers back to back)`, off: result.offPerSec, on: result.onPerSec },
  { measure: 'server CPU per order (ms)', off: result.offCpuMsPerOrder, on: result.onCpuMsPerOrder },
  { measure: `POST p95 at ${RATE}/s (ms)`, off: result.offPostP95Ms, on: result.onPostP95Ms },
  { measure: `order→CONFIRMED p95 at ${RATE}/s (ms)`, off: result.offConfirmP95Ms, on: result.onConfirmP95Ms },
]);
process.stdout.write(`throughput loss with tracing on: ${lossPercent}% (target: under ${TARGET_LOSS_PERCENT}%), server CPU per order +${result.cpuCostPercent}%; ${result.spansExported} spans exported in ${result.exportRequests} requests; Node ${process.version}\n`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/tracing.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write('wrote bench-results/tracing.json\n');
