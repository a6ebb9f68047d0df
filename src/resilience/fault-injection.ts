import { z } from 'zod';
import { problemKind } from '../http/problem.js';
import type { Logger } from '../observability/logger.js';
import { DEPENDENCY_NAME, misnamedDependencies } from './dependency-settings.js';
import { UpstreamFailure } from './failures.js';

/**
 * A fault as an operator writes it. `{"delayMs": 200}` delays every call by 200 ms;
 * `{"abortRatio": 0.1}` fails one call in ten with a 503, as if the dependency had answered so.
 */
export const FaultSpec = z.strictObject({
  delayMs: z.number().int().min(0).max(60_000).optional().describe('how long a delayed call waits before it is made'),
  delayRatio: z.number().min(0).max(1).optional().describe('share of calls delayed; 1 when delayMs is given alone'),
  abortRatio: z.number().min(0).max(1).optional().describe('share of calls failed without being made'),
  abortStatus: z.number().int().min(400).max(599).optional().describe('the status a failed call reports; 503 unless given'),
  routePrefix: z.string().min(1).max(200).optional().describe('only calls whose route starts with this, e.g. "GET /api/v1/products"'),
}).refine((fault) => (fault.delayMs ?? 0) > 0 || (fault.abortRatio ?? 0) > 0, {
  message: 'a fault must delay (delayMs > 0) or fail (abortRatio > 0) some calls',
}).meta({ id: 'FaultSpec', description: 'A fault injected into the calls to one dependency' });
export type FaultSpec = z.infer<typeof FaultSpec>;

/** A fault with every share spelt out. */
export interface Fault {
  delayMs: number;
  delayRatio: number;
  abortRatio: number;
  abortStatus: number;
  routePrefix?: string;
}

export const FAULT_INJECTED_CODE = 'fault-injected';

/** Refuses to add faults to a process that was not started for chaos runs. */
export const FaultInjectionOff = problemKind(409, 'fault-injection-off', 'Fault injection is off');

const FaultDocument = z.record(z.string(), FaultSpec);

function parseFaults(text: string): Record<string, FaultSpec> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`FAULT_INJECTION is not valid: not JSON (${(error as Error).message}); expected {"<dependency>": {"abortRatio": 0.1}}`);
  }
  const misnamed = typeof json === 'object' && json !== null ? misnamedDependencies(Object.keys(json)) : undefined;
  if (misnamed) throw new Error(`FAULT_INJECTION is not valid: ${misnamed}`);
  const parsed = FaultDocument.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`);
    throw new Error(`FAULT_INJECTION is not valid: ${issues.join('; ')}`);
  }
  return parsed.data;
}

function normalise(spec: FaultSpec): Fault {
  const delayMs = spec.delayMs ?? 0;
  return {
    delayMs,
    delayRatio: delayMs > 0 ? spec.delayRatio ?? 1 : 0,
    abortRatio: spec.abortRatio ?? 0,
    abortStatus: spec.abortStatus ?? 503,
    ...(spec.routePrefix === undefined ? {} : { routePrefix: spec.routePrefix }),
  };
}

export interface FaultInjectorOptions {
  /**
   * The `FAULT_INJECTION` variable: `{"<dependency>": {"delayMs": 200, "delayRatio": 0.5, "abortRatio": 0.1, "abortStatus": 503}}`.
   * Absent or blank: fault injection is off, and no fault can be added at run time either.
   */
  text?: string | undefined;
  /** in [0, 1); `seededRandom(seed)` makes a chaos run repeatable */
  random?: () => number;
  log?: Logger;
}

/**
 * Chaos on purpose: delays or fails a share of the calls to a dependency, before they are
 * made, so retries, timeouts, circuits and fallbacks can be watched working. Off unless the
 * process was started with `FAULT_INJECTION` (`{}` turns it on with no fault yet), so an
 * admin token alone cannot break production.
 * @example const faults = new FaultInjector({ text: config.FAULT_INJECTION, log }); faults.set('module.product', { abortRatio: 0.2 })
 */
export class FaultInjector {
  readonly enabled: boolean;
  private readonly faults = new Map<string, Fault>();
  private readonly random: () => number;
  private readonly log: Logger | undefined;

  constructor(options: FaultInjectorOptions = {}) {
    this.random = options.random ?? Math.random;
    this.log = options.log;
    const text = options.text?.trim() ?? '';
    this.enabled = text !== '';
    if (this.enabled) for (const [dependency, spec] of Object.entries(parseFaults(text))) this.set(dependency, spec);
  }

  static off(): FaultInjector {
    return new FaultInjector();
  }

  /** The injector `FAULT_INJECTION` asks for: `FaultInjector.fromConfig(config.FAULT_INJECTION, { log })`. */
  static fromConfig(text: string | undefined, options: Omit<FaultInjectorOptions, 'text'> = {}): FaultInjector {
    return new FaultInjector({ ...options, text });
  }

  /** Adds, replaces (`spec`) or removes (`null`) the fault of a dependency. */
  set(dependency: string, spec: FaultSpec | null): Fault | undefined {
    if (!this.enabled) throw FaultInjectionOff('Start the process with FAULT_INJECTION (e.g. {}) to inject faults');
    if (!DEPENDENCY_NAME.test(dependency)) throw new Error(`Not a dependency name: ${JSON.stringify(dependency)}`);
    if (spec === null) {
      if (this.faults.delete(dependency)) this.log?.warn({ dependency }, 'fault injection removed');
      return undefined;
    }
    const fault = normalise(FaultSpec.parse(spec));
    this.faults.set(dependency, fault);
    this.log?.warn({ dependency, fault }, 'fault injection set');
    return fault;
  }

  list(): Array<{ dependency: string } & Fault> {
    return [...this.faults].map(([dependency, fault]) => ({ dependency, ...fault })).sort((a, b) => a.dependency.localeCompare(b.dependency));
  }

  /** Whether a fault is set for `dependency`: when none is, attempts need not pass through `inject` at all. */
  affects(dependency: string): boolean {
    return this.faults.size > 0 && this.faults.has(dependency);
  }

  /**
   * Called before each attempt: fails it (an UpstreamFailure with the fault's status, judged like
   * a real answer), delays it (cut short when `signal` aborts), or lets it through.
   */
  async inject(dependency: string, signal: AbortSignal, route?: string): Promise<void> {
    if (this.faults.size === 0) return;
    const fault = this.faults.get(dependency);
    if (!fault || (fault.routePrefix !== undefined && !route?.startsWith(fault.routePrefix))) return;
    if (fault.abortRatio > 0 && this.random() < fault.abortRatio) {
      throw new UpstreamFailure(`Injected fault: ${dependency} answered ${fault.abortStatus}`, { status: fault.abortStatus, code: FAULT_INJECTED_CODE });
    }
    if (fault.delayMs > 0 && this.random() < fault.delayRatio) await pause(fault.delayMs, signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** A small deterministic generator (mulberry32) in [0, 1): the same seed gives the same chaos. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
