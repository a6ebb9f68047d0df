import type { Selector } from './promql-selectors.js';

/** What one scrape of `/metrics` offers a query: the series names it may select and their labels. */
export interface ExposedMetrics {
  /** every series name a query may select, declared by `# TYPE` (a histogram's `_bucket`, `_sum`, `_count`…) */
  names: Set<string>;
  /** the label names seen on the samples of each series name; absent while a family has no sample yet */
  labels: Map<string, Set<string>>;
}

// The series each kind of family is selected by, besides (for counters and gauges) its own name.
const SERIES_SUFFIXES: Record<string, readonly string[]> = {
  counter: [''], gauge: [''], untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};
// Prometheus adds these to every series it scrapes.
const TARGET_LABELS = ['job', 'instance'];

/**
 * Reads Prometheus' text format as prom-client writes it (one sample a line, no timestamps).
 * @example const exposed = exposedMetrics(await (await fetch(`${url}/metrics`)).text())
 */
export function exposedMetrics(text: string): ExposedMetrics {
  const names = new Set<string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      for (const suffix of SERIES_SUFFIXES[type[2]!] ?? ['']) names.add(`${type[1]}${suffix}`);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const seen = labels.get(sample[1]!) ?? new Set(TARGET_LABELS);
    for (const [, label] of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="(?:[^"\\]|\\.)*"/g)) seen.add(label!);
    labels.set(sample[1]!, seen);
  }
  return { names, labels };
}

/**
 * Why a selector would come back empty from these metrics: an unknown series name, or a
 * label its samples never carry. Labels are judged only once a sample shows them.
 */
export function selectorProblems(selector: Selector, exposed: ExposedMetrics): string[] {
  if (!exposed.names.has(selector.metric)) return [`${selector.metric} is not exposed`];
  const seen = exposed.labels.get(selector.metric);
  if (!seen) return [];
  return selector.labels.filter((label) => !seen.has(label)).map((label) => `${selector.metric} has no label ${label}`);
}
