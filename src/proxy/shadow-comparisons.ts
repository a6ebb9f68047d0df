/** One difference between what the local module answered and what its extracted service did. */
export interface ShadowDifference {
  at: string;
  method: string;
  path: string;
  correlationId: string;
  localStatus: number;
  remoteStatus: number | null;
  /** where the answers part: `status`, a JSON path such as `items[3].price`, or the failure */
  difference: string;
}

export interface ShadowReport {
  module: string;
  compared: number;
  matched: number;
  differed: number;
  /** the mirrored request got no answer (the service down, timed out) */
  failed: number;
  since: string;
  examples: ShadowDifference[];
}

const EXAMPLES_KEPT = 20;

/** The first place two JSON values part, or undefined when they are equal. */
export function firstDifference(local: unknown, remote: unknown, path = ''): string | undefined {
  if (Object.is(local, remote)) return undefined;
  if (typeof local !== typeof remote || local === null || remote === null || typeof local !== 'object') return path || '(body)';
  if (Array.isArray(local) !== Array.isArray(remote)) return path || '(body)';
  if (Array.isArray(local) && Array.isArray(remote)) {
    if (local.length !== remote.length) return `${path}.length`;
    for (let i = 0; i < local.length; i += 1) {
      const found = firstDifference(local[i], remote[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  const a = local as Record<string, unknown>;
  const b = remote as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

/**
 * What shadow mode found per module: how many reads were compared, how many matched, and the
 * latest differences. This is the evidence an operator reads before flipping a route.
 */
export class ShadowComparisons {
  private readonly reports = new Map<string, ShadowReport>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  report(module: string): ShadowReport {
    let report = this.reports.get(module);
    if (!report) this.reports.set(module, (report = { module, compared: 0, matched: 0, differed: 0, failed: 0, since: this.now().toISOString(), examples: [] }));
    return report;
  }

  all(): ShadowReport[] {
    return [...this.reports.values()];
  }

  matched(module: string): void {
    const report = this.report(module);
    report.compared += 1;
    report.matched += 1;
  }

  differed(module: string, difference: Omit<ShadowDifference, 'at'>, failed: boolean): void {
    const report = this.report(module);
    report.compared += 1;
    if (failed) report.failed += 1;
    else report.differed += 1;
    report.examples.unshift({ at: this.now().toISOString(), ...difference });
    report.examples.length = Math.min(report.examples.length, EXAMPLES_KEPT);
  }

  reset(module: string): void {
    this.reports.delete(module);
  }
}
