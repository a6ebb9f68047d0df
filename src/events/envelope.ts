import { z } from 'zod';

/** Cross-cutting facts about why and on whose behalf an event happened. */
export interface EventMetadata {
  correlationId: string;
  causationId?: string;
  traceparent?: string;
  actorId?: string;
}

/** What travels between modules: the design's envelope, identical in the monolith and in extracted services. */
export interface EventEnvelope<TData = unknown, TType extends string = string> {
  eventId: string;
  eventType: TType;
  eventVersion: number;
  aggregateId: string;
  aggregateVersion: number;
  occurredAt: string;
  data: TData;
  metadata: EventMetadata;
}

/** A published event kind: its name, schema version and the runtime schema of its data. */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  type: TType;
  version: number;
  schema: TSchema;
}

/**
 * Declares an event in a module's contract.
 * @example export const UserRegistered = defineEvent('UserRegistered', 1, z.object({ userId: z.uuid() }))
 */
export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  type: TType,
  version: number,
  schema: TSchema,
): EventDefinition<TType, TSchema> {
  return { type, version, schema };
}

export type EventData<E extends EventDefinition> = z.output<E['schema']>;

/** Runtime shape of an envelope arriving from the bus; data is checked by the consumer's own event schema. */
export const EnvelopeSchema = z.object({
  eventId: z.uuid(),
  eventType: z.string().min(1),
  eventVersion: z.number().int().positive(),
  aggregateId: z.string().min(1),
  aggregateVersion: z.number().int().nonnegative(),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.unknown(),
  metadata: z.object({
    correlationId: z.string().min(1),
    causationId: z.string().optional(),
    traceparent: z.string().optional(),
    actorId: z.string().optional(),
  }),
});
