import type { Queue } from 'bullmq';
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import type { EventPipeline } from './event-pipeline.js';
import type { ModuleEventCounters } from './pipeline-stats.js';

const COUNTED: readonly [keyof ModuleEventCounters, string, string][] = [
  ['published', 'events_published_total', 'Events the outbox relay queued'],
  ['publishFailures', 'events_publish_failures_total', 'Events whose queuing failed and is retried'],
  ['handled', 'events_handled_total', 'Event deliveries handled by a consumer'],
  ['duplicatesSkipped', 'events_duplicates_skipped_total', 'Redelivered events the inbox recognised and skipped'],
  ['deadLettered', 'events_dead_lettered_total', 'Deliveries that exhausted their retries'],
];
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * The events pipeline in `/metrics`: outbox backlog and publish lag per module, event
 * counters, and the depth of every queue this process sees (its consumers' and its sagas').
 * Values are read when Prometheus scrapes, never on the hot path.
 * @example registerEventMetrics(registry, events, () => [...events.bus.allQueues()])
 */
export function registerEventMetrics(registry: Registry, events: EventPipeline, queues: () => readonly Queue[]): void {
  new Gauge({
    name: 'outbox_backlog', help: 'Events committed but not yet queued, per module', labelNames: ['module'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const [module, count] of Object.entries(await events.backlog())) this.set({ module }, count);
    },
  });
  const lag = new Summary({
    name: 'outbox_publish_lag_seconds', help: 'From the commit of an event to its queuing, per module', labelNames: ['module'] as const,
    percentiles: [0.5, 0.95, 0.99], maxAgeSeconds: 300, ageBuckets: 5, registers: [registry],
  });
  events.stats.onPublishLag((module, lagMs) => lag.observe({ module }, lagMs / 1000));

  // Counted in process already (PipelineStats); exported as counters by the increase since the last scrape.
  for (const [field, name, help] of COUNTED) {
    const seen = new Map<string, number>();
    new Counter({
      name, help, labelNames: ['module'] as const, registers: [registry],
      collect() {
        for (const [module, counters] of Object.entries(events.stats.snapshot())) {
          const increase = counters[field] - (seen.get(module) ?? 0);
          if (increase > 0) this.inc({ module }, increase);
          seen.set(module, counters[field]);
        }
      },
    });
  }

  new Gauge({
    name: 'queue_jobs', help: 'Jobs per BullMQ queue and state', labelNames: ['queue', 'state'] as const, registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(queues().map(async (queue) => {
        const counts = await queue.getJobCounts(...JOB_STATES).catch(() => undefined);
        if (!counts) return;
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }));
    },
  });
}
