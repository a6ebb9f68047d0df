import { expect, it } from 'vitest';
import { selectorsOf } from './promql-selectors.js';

it('finds the metric under aggregations and functions, with the labels the query relies on', () => {
  expect(selectorsOf('histogram_quantile(0.95, sum by (module, le) (rate(http_request_duration_seconds_bucket{service=~"$service"}[$__rate_interval])))'))
    .toEqual([{ metric: 'http_request_duration_seconds_bucket', labels: ['service', 'module', 'le'] }]);
});

it('finds both sides of a binary operation and skips keywords, numbers, durations and strings', () => {
  expect(selectorsOf('sum(rate(a_total{x="by (q) {b}"}[1h30m] offset 5m)) / on (job) group_left sum without (y) (b_total) > bool 0.5 or vector(0)')).toEqual([
    { metric: 'a_total', labels: ['x', 'job', 'y'] },
    { metric: 'b_total', labels: ['job', 'y'] },
  ]);
});

it('reads a metric without matchers, and a grouping written after the aggregated expression', () => {
  expect(selectorsOf('max(queue_jobs) by (queue)')).toEqual([{ metric: 'queue_jobs', labels: ['queue'] }]);
});
