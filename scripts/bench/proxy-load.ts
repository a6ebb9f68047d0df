/**
 * Load for `npm run bench:proxy`:
 *  - saturation: wrk (C, one thread by default, so the generator takes as little of the two
 *    cores as possible) with a fixed number of keep-alive connections; its latency
 *    percentiles come from wrk's own histogram of every request. Without wrk, a Node
 *    closed loop over undici clients stands in (it costs more CPU: figures are then lower for all).
 *  - low load: one keep-alive connection per target, requests one after another, every
 *    latency kept raw; the targets take turns in short blocks so a machine that gets busier
 *    meanwhile slows them all alike.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'undici';
import { percentiles } from './percentiles.js';
import { cpuMsBetween, cpuMsByPid, cpuMsOf } from './proxy-processes.js';

export interface SaturationResult {
  generator: 'wrk' | 'node';
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** answers that were not 2xx/3xx (expected for the trivial endpoint, which answers 404) */
  non2xx: number;
  /** connect/read/write errors and timeouts: a measurement with any is suspect */
  socketErrors: number;
  /** CPU the load generator used (wrk: sampled from /proc every 100 ms; node: this process), when known */
  generatorCpuMs: number | null;
}

export interface LoadTarget {
  origin: string;
  path: string;
  headers: Record<string, string>;
}

export function hasWrk(): boolean {
  if (process.env.BENCH_LOAD === 'node') return false;
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

const WRK_SCRIPT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%.0f,"durationUs":%.0f,"status":%.0f,"socket":%.0f,"p50Us":%.0f,"p90Us":%.0f,"p99Us":%.0f,"maxUs":%.0f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

/** Writes wrk's reporting script into `dir`; returns its path. */
export async function prepareWrk(dir: string): Promise<string> {
  const path = join(dir, 'report.lua');
  await writeFile(path, WRK_SCRIPT);
  return path;
}

interface WrkOptions {
  connections: number;
  threads: number;
  seconds: number;
  script: string;
  /** where the wrk process is told about, so Ctrl-C can stop it */
  onStart?: (pid: number | undefined, stop: () => void) => void;
}

export function runWrk(target: LoadTarget, options: WrkOptions): Promise<SaturationResult> {
  const args = [
    `-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', options.script,
    ...Object.entries(target.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    `${target.origin}${target.path}`,
  ];
  return new Promise((resolve, reject) => {
    const wrk = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    options.onStart?.(wrk.pid, () => wrk.kill('SIGTERM'));
    // wrk's own CPU, read while it runs (its /proc entry is gone once it has exited)
    let generatorCpuMs: number | null = null;
    const sampler = setInterval(() => { generatorCpuMs = (wrk.pid && cpuMsOf([wrk.pid])) ?? generatorCpuMs; }, 100);
    let output = '';
    wrk.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    wrk.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    wrk.once('error', reject);
    wrk.once('exit', (code) => {
      clearInterval(sampler);
      const line = output.split('\n').find((text) => text.startsWith('WRK_JSON '));
      if (code !== 0 || !line) {
        reject(new Error(`wrk ${args.join(' ')} failed (${code}):\n${output}`));
        return;
      }
      const raw = JSON.parse(line.slice('WRK_JSON '.length)) as Record<'requests' | 'durationUs' | 'status' | 'socket' | 'p50Us' | 'p90Us' | 'p99Us' | 'maxUs', number>;
      const seconds = raw.durationUs / 1e6;
      resolve({
        generator: 'wrk', requests: raw.requests, seconds, rps: raw.requests / seconds,
        p50Ms: raw.p50Us / 1000, p90Ms: raw.p90Us / 1000, p99Ms: raw.p99Us / 1000, maxMs: raw.maxUs / 1000,
        non2xx: raw.status, socketErrors: raw.socket, generatorCpuMs,
      });
    });
  });
}

/** The stand-in when wrk is not installed: `connections` undici clients, each sending back to back. */
export async function runNodeLoad(target: LoadTarget, options: { connections: number; seconds: number; stop?: AbortSignal }): Promise<SaturationResult> {
  const clients = Array.from({ length: options.connections }, () => new Client(target.origin, { pipelining: 1 }));
  const latencies: number[] = [];
  let non2xx = 0;
  let socketErrors = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const until = started + options.seconds * 1000;
  try {
    await Promise.all(clients.map(async (client) => {
      while (performance.now() < until && !options.stop?.aborted) {
        const sent = performance.now();
        try {
          const res = await client.request({ path: target.path, method: 'GET', headers: target.headers });
          await res.body.dump();
          if (res.statusCode >= 400) non2xx += 1;
          latencies.push(performance.now() - sent);
        } catch {
          socketErrors += 1;
        }
      }
    }));
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => client.destroy())));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const { p50, p99, max } = percentiles(latencies);
  return {
    generator: 'node', requests: latencies.length, seconds, rps: latencies.length / seconds,
    p50Ms: p50, p90Ms: percentileOf(latencies, 0.9), p99Ms: p99, maxMs: max, non2xx, socketErrors, generatorCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function percentileOf(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export interface SequentialTarget extends LoadTarget {
  name: string;
  expectStatus: number;
  /** processes whose CPU is counted while this target's blocks run (its proxy; the service) */
  cpuPids?: () => number[];
}

export interface SequentialResult {
  /** every latency in milliseconds */
  latenciesMs: number[];
  /** CPU of `cpuPids` per request while this target's blocks ran, in µs (idle background work included) */
  cpuUsPerRequest: number | null;
  /** how long this target's blocks took, in ms: what idle background work is charged over */
  blocksMs: number;
}

/**
 * One connection per target, `requests` sequential requests each (after `warmup`), in
 * interleaved blocks of `block`. Returns every latency, by target name.
 */
export async function sequentialLatencies(targets: readonly SequentialTarget[], options: { requests: number; warmup: number; block: number; stop?: AbortSignal }): Promise<Map<string, SequentialResult>> {
  const clients = new Map(targets.map((target) => [target.name, new Client(target.origin, { pipelining: 1 })]));
  const results = new Map<string, SequentialResult & { cpuMs: number; counted: number }>(targets.map((target) => [target.name, { latenciesMs: [], cpuUsPerRequest: null, blocksMs: 0, cpuMs: 0, counted: 0 }]));
  const once = async (target: SequentialTarget): Promise<number> => {
    const sent = performance.now();
    const res = await clients.get(target.name)!.request({ path: target.path, method: 'GET', headers: target.headers });
    await res.body.dump();
    const took = performance.now() - sent;
    if (res.statusCode !== target.expectStatus) throw new Error(`${target.name} ${target.path} answered ${res.statusCode}, expected ${target.expectStatus}`);
    return took;
  };
  try {
    for (const target of targets) for (let i = 0; i < options.warmup; i += 1) await once(target);
    for (let done = 0; done < options.requests && !options.stop?.aborted; done += options.block) {
      for (const target of targets) {
        const result = results.get(target.name)!;
        const pids = target.cpuPids?.() ?? [];
        const before = cpuMsByPid(pids);
        const startedAt = performance.now();
        const count = Math.min(options.block, options.requests - done);
        for (let i = 0; i < count; i += 1) result.latenciesMs.push(await once(target));
        const used = cpuMsBetween(before, cpuMsByPid(pids));
        if (used !== undefined) { result.cpuMs += used; result.counted += count; result.blocksMs += performance.now() - startedAt; }
      }
    }
  } finally {
    await Promise.all([...clients.values()].map((client) => client.close().catch(() => client.destroy())));
  }
  return new Map([...results].map(([name, { latenciesMs, cpuMs, counted, blocksMs }]) => [name, {
    latenciesMs, cpuUsPerRequest: counted === 0 ? null : Math.round((cpuMs * 1000 * 10) / counted) / 10, blocksMs,
  }]));
}
