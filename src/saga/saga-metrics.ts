import { Counter, Histogram, type Registry } from 'prom-client';
import type { SagaEngine } from './saga-engine.js';
import type { SagaRecord } from './saga-store.js';

/** COMPLETED, COMPENSATED, NEEDS_ATTENTION: the ways a saga stops needing a worker. */
const outcomeOf = (saga: SagaRecord) => saga.status.toLowerCase();

/**
 * Sagas that settle in this process, in `/metrics`: how many end each way, and how long
 * they took from start to that end. Labels are the saga type and the outcome, both from a
 * short fixed list. A parked saga that an operator retries is counted again when it settles.
 * @example registerSagaMetrics(registry, [{ module: 'order', engine }])
 */
export function registerSagaMetrics(registry: Registry, engines: readonly { module: string; engine: SagaEngine }[]): void {
  const outcomes = new Counter({
    name: 'saga_outcomes_total', help: 'Sagas settled in this process, by type and outcome (completed, compensated, needs_attention)',
    labelNames: ['module', 'saga', 'outcome'] as const, registers: [registry],
  });
  const durations = new Histogram({
    name: 'saga_duration_seconds', help: 'From the start of a saga to its settling, by type and outcome',
    labelNames: ['module', 'saga', 'outcome'] as const, buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [registry],
  });
  for (const { module, engine } of engines) {
    if (!engine.hasSagas) continue;
    engine.onSettled((saga) => {
      const labels = { module, saga: saga.sagaType, outcome: outcomeOf(saga) };
      outcomes.inc(labels);
      durations.observe(labels, Math.max(0, Date.parse(saga.finishedAt ?? saga.updatedAt) - Date.parse(saga.createdAt)) / 1000);
    });
  }
}
