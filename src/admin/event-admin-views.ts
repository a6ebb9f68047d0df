import { z } from 'zod';

/** What the events admin API answers, as the OpenAPI document describes it. */

const Timestamp = z.iso.datetime({ offset: true });

export const EventEnvelopeView = z.object({
  eventId: z.uuid(),
  eventType: z.string(),
  eventVersion: z.number().int(),
  aggregateId: z.string(),
  aggregateVersion: z.number().int(),
  occurredAt: Timestamp,
  data: z.unknown(),
  metadata: z.object({
    correlationId: z.string(),
    causationId: z.string().optional(),
    traceparent: z.string().optional(),
    actorId: z.string().optional(),
  }),
}).meta({ id: 'EventEnvelope', description: 'An event as it travels between modules' });

export const DeadLetterStatus = z.enum(['waiting', 'redriving', 'parked', 'resolved']);

export const DeadLetterView = z.object({
  module: z.string().describe('the consuming module that gave up on the event'),
  eventId: z.uuid(),
  eventType: z.string(),
  aggregateId: z.string(),
  correlationId: z.string(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  failedAt: Timestamp,
  redriveCount: z.number().int(),
  nextRedriveAt: Timestamp.nullable(),
  status: DeadLetterStatus,
  resolvedAt: Timestamp.nullable(),
  envelope: EventEnvelopeView,
}).meta({ id: 'DeadLetter', description: 'An event a consumer could not handle, kept for a re-drive' });

export const ReplayOutcome = z.object({
  replayed: z.array(z.object({ module: z.string(), eventIds: z.array(z.uuid()) })),
  count: z.number().int(),
});

export const EventTrace = z.object({
  key: z.string(),
  events: z.array(z.object({
    module: z.string(), eventId: z.uuid(), eventType: z.string(), aggregateId: z.string(), aggregateVersion: z.number().int(),
    correlationId: z.string(), occurredAt: Timestamp, publishedAt: Timestamp.nullable(), attempts: z.number().int(),
    lastError: z.string().nullable(), nextAttemptAt: Timestamp.nullable(), data: z.unknown(),
  })),
  deliveries: z.array(z.object({ module: z.string(), handler: z.string(), eventId: z.uuid(), eventType: z.string(), handledAt: Timestamp })),
  deadLetters: z.array(DeadLetterView),
}).meta({ id: 'EventTrace', description: "A business key's trail: the events that name it, their deliveries and dead letters" });

const Percentiles = z.object({ count: z.number().int(), p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() });

export const PipelineStatistics = z.object({
  backlog: z.record(z.string(), z.number().int()).describe('unpublished outbox rows per module'),
  modules: z.record(z.string(), z.object({
    published: z.number().int(),
    publishFailures: z.number().int(),
    handled: z.number().int(),
    transactions: z.number().int(),
    duplicatesSkipped: z.number().int(),
    deadLettered: z.number().int(),
    publishLagMs: Percentiles,
  })).describe('counters since this process started, per module'),
});
