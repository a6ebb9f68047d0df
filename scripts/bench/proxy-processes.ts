/**
 * The processes `npm run bench:proxy` starts (the monolith, the extracted product service,
 * the undici pass-through, nginx), how it knows they serve, how it stops them, and how much
 * CPU each used meanwhile (from /proc, so the cost per request of every hop can be told apart).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A process of the bench's own, with the tail of what it printed. */
export interface BenchChild {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<void>;
  /** SIGTERM (`signal`), then SIGKILL after `graceMs`; resolves once it has exited */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const OUTPUT_KEPT = 20_000;

export function startChild(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv): BenchChild {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-OUTPUT_KEPT); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => { gone = true; resolve(); });
    // A command that cannot be started emits 'error' and never 'exit'.
    child.once('error', (error) => { output += `\n${error.message}`; gone = true; resolve(); });
  });
  return {
    name, child, pid: child.pid ?? -1, output: () => output, exited,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (gone || child.pid === undefined) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nothing listens on right now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `url` answers `status` (default 200); rejects with the child's output when
 * the child exits first or `timeoutMs` passes.
 */
export async function waitUntilServing(child: BenchChild, url: string, options: { status?: number; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<void> {
  const until = Date.now() + (options.timeoutMs ?? 90_000);
  let exited = false;
  void child.exited.then(() => { exited = true; });
  let last = 'no answer yet';
  while (Date.now() < until) {
    if (exited) throw new Error(`${child.name} exited before serving ${url}:\n${child.output().slice(-3_000)}`);
    try {
      const res = await request(url, { headers: options.headers ?? {}, headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.dump();
      if (res.statusCode === (options.status ?? 200)) return;
      last = `answered ${res.statusCode}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await pause(100);
  }
  throw new Error(`${child.name} did not serve ${url} in time (${last}):\n${child.output().slice(-3_000)}`);
}

/** Starts the child on a free port, once more on another port when the first was taken meanwhile. */
export async function startOnFreePort(start: (port: number) => BenchChild, ready: (child: BenchChild, port: number) => Promise<void>): Promise<{ child: BenchChild; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const child = start(port);
    try {
      await ready(child, port);
      return { child, port };
    } catch (error) {
      await child.stop('SIGKILL');
      if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test(child.output())) throw error;
    }
  }
}

// ---- CPU accounting (Linux /proc; elsewhere the figures are simply absent) ----

const CLOCK_TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: fields start after the last ')'
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process and its children (nginx's master and its worker). */
export function withChildren(pid: number): number[] {
  try {
    const listed = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...listed.split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    const children: number[] = [];
    try {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        if (Number(statFields(Number(entry))?.[1]) === pid) children.push(Number(entry));
      }
    } catch { /* no /proc */ }
    return [pid, ...children];
  }
}

/** Processes whose command line contains `text`: the PostgreSQL backends serving the bench's database. */
export function pidsWhoseCommandHas(text: string): number[] {
  const found: number[] = [];
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
      } catch { /* gone meanwhile, or not ours to read */ }
    }
  } catch { /* no /proc */ }
  return found;
}

/** User + system CPU milliseconds used so far by each of these processes (threads included); those gone are left out. */
export function cpuMsByPid(pids: readonly number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    const fields = statFields(pid);
    // after the command: state(3) ppid(4) … utime(14) stime(15), counted from 1 over the whole line
    if (fields) used.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
  }
  return used;
}

/** CPU milliseconds used between two samples by the processes present in both, or undefined without /proc. */
export function cpuMsBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number | undefined {
  let total = 0;
  let seen = false;
  for (const [pid, ms] of after) {
    const from = before.get(pid);
    if (from === undefined) continue;
    seen = true;
    total += ms - from;
  }
  return seen ? total : undefined;
}

/** User + system CPU milliseconds used so far by these processes together, or undefined without /proc. */
export function cpuMsOf(pids: readonly number[]): number | undefined {
  const used = cpuMsByPid(pids);
  return used.size === 0 ? undefined : [...used.values()].reduce((sum, ms) => sum + ms, 0);
}

/** Busy and total CPU milliseconds of the whole machine so far, from /proc/stat. */
export function machineCpuMs(): { busyMs: number; totalMs: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((sum, value) => sum + value, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS_PER_SECOND, totalMs: (total * 1000) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}
