import { Counter, Gauge, type Registry } from 'prom-client';
import type { Resilience } from './resilience.js';
import { CIRCUIT_STATES, type CallCounts } from './resilient-dependency.js';

// Prometheus spells label values in snake case.
const OUTCOMES: ReadonlyArray<readonly [keyof CallCounts, string]> = [
  ['succeeded', 'succeeded'], ['failed', 'failed'], ['rejected', 'rejected'],
  ['retried', 'retried'], ['fellBack', 'fell_back'], ['timedOut', 'timed_out'],
];

/**
 * Exposes the resilience layer to Prometheus. Every value is read from the dependencies
 * when the registry is scraped, so nothing on the call path touches a metric; labels are
 * dependency names (chosen in code) and fixed state and outcome names, so they stay few.
 * @example registerResilienceMetrics(registry, resilience)
 */
export function registerResilienceMetrics(registry: Registry, resilience: Resilience): void {
  new Gauge({
    name: 'circuit_breaker_state',
    help: 'State of the circuit of each dependency: 1 for the current state, 0 for the others',
    labelNames: ['dependency', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { dependency, circuit } of resilience.states()) {
        for (const state of CIRCUIT_STATES) this.set({ dependency, state }, circuit === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'bulkhead_active',
    help: 'Calls to the dependency running now',
    labelNames: ['dependency'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { dependency, bulkhead } of resilience.states()) this.set({ dependency }, bulkhead.active);
    },
  });
  new Gauge({
    name: 'bulkhead_queued',
    help: 'Calls to the dependency waiting for a slot',
    labelNames: ['dependency'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { dependency, bulkhead } of resilience.states()) this.set({ dependency }, bulkhead.queued);
    },
  });
  new Counter({
    name: 'resilience_calls_total',
    help: 'Calls to the dependency by outcome (succeeded, failed, rejected, fell_back), and attempts retried or timed out',
    labelNames: ['dependency', 'outcome'] as const,
    registers: [registry],
    collect() {
      // The counts live in the dependencies; the counter mirrors them at each scrape.
      this.reset();
      for (const { dependency, calls } of resilience.states()) {
        for (const [field, outcome] of OUTCOMES) this.inc({ dependency, outcome }, calls[field]);
      }
    },
  });
}
