/** Percentiles from raw samples (never from averages), over a bounded window of recent ones. */
class SampleWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 10_000) {}

  add(value: number): void {
    if (this.samples.length < this.size) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }

  percentiles(): { count: number; p50: number; p95: number; p99: number; max: number } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
  }
}

export interface ModuleEventCounters {
  published: number;
  publishFailures: number;
  handled: number;
  /** consumer transactions committed: handled ÷ transactions is how well group commit batches */
  transactions: number;
  duplicatesSkipped: number;
  deadLettered: number;
}

/**
 * Counters and publish lag (transaction → enqueued) per module, kept in process so the
 * metrics exporter can read them without touching the hot path.
 */
export class PipelineStats {
  private readonly counters = new Map<string, ModuleEventCounters>();
  private readonly publishLag = new Map<string, SampleWindow>();
  private readonly lagObservers: ((module: string, lagMs: number) => void)[] = [];

  /** Sees every publish lag as it is measured (the Prometheus summary listens here). */
  onPublishLag(observer: (module: string, lagMs: number) => void): void {
    this.lagObservers.push(observer);
  }

  private of(module: string): ModuleEventCounters {
    let counters = this.counters.get(module);
    if (!counters) {
      counters = { published: 0, publishFailures: 0, handled: 0, transactions: 0, duplicatesSkipped: 0, deadLettered: 0 };
      this.counters.set(module, counters);
    }
    return counters;
  }

  published(module: string, lagsMs: readonly number[]): void {
    this.of(module).published += lagsMs.length;
    let window = this.publishLag.get(module);
    if (!window) this.publishLag.set(module, (window = new SampleWindow()));
    for (const lag of lagsMs) window.add(lag);
    for (const observe of this.lagObservers) for (const lag of lagsMs) observe(module, lag);
  }

  publishFailed(module: string, count: number): void { this.of(module).publishFailures += count; }
  handled(module: string): void { this.of(module).handled += 1; }
  committed(module: string): void { this.of(module).transactions += 1; }
  duplicateSkipped(module: string): void { this.of(module).duplicatesSkipped += 1; }
  deadLettered(module: string): void { this.of(module).deadLettered += 1; }

  snapshot(): Record<string, ModuleEventCounters & { publishLagMs: ReturnType<SampleWindow['percentiles']> }> {
    const modules = new Set([...this.counters.keys(), ...this.publishLag.keys()]);
    return Object.fromEntries([...modules].map((module) => [module, {
      ...this.of(module),
      publishLagMs: this.publishLag.get(module)?.percentiles() ?? { count: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    }]));
  }
}
