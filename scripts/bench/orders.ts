/**
 * `npm run bench:orders`: customers placing orders through the HTTP API of the whole
 * monolith, in one run (scripts/bench/order-bench.ts says what is measured):
 * BENCH_CUSTOMERS customers back to back for BENCH_SECONDS, then BENCH_RATE orders per
 * second for BENCH_SECONDS. Writes bench-results/orders.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { runOrderBench } from './order-bench.js';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATE = Number(process.env.BENCH_RATE ?? 150);

process.stdout.write(`bench:orders  ${CUSTOMERS} customers, ${SECONDS} s per phase, latency at ${RATE}/s\n`);
const measured = await runOrderBench({ customers: CUSTOMERS, seconds: SECONDS, rate: RATE, run: 'orders' });
const result = {
  ...measured,
  targets: { confirmedPerSecAtLeast: 300, postP95MsBelowAt150PerSec: 25 },
  // the server is forked with this same executable
  node: process.version,
  measuredAt: new Date().toISOString(),
};
console.table([
  { measure: `orders/s reaching CONFIRMED (${CUSTOMERS} customers back to back)`, value: result.confirmedPerSec },
  { measure: 'orders/s accepted (POST 202) meanwhile', value: result.postedPerSec },
  { measure: 'server CPU per order meanwhile (ms)', value: result.serverCpuMsPerOrder },
  { measure: `POST p50 / p95 / p99 at ${RATE}/s`, value: `${result.postP50Ms} / ${result.postP95Ms} / ${result.postP99Ms} ms` },
  { measure: `order→CONFIRMED p50 / p95 / p99 at ${RATE}/s`, value: `${result.confirmP50Ms} / ${result.confirmP95Ms} / ${result.confirmP99Ms} ms` },
]);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/orders.json', `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write('wrote bench-results/orders.json\n');
