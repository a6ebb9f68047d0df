import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.js';

/** Why a saga gave up going forward; kept on the saga and handed to every compensation. */
export interface SagaFailure {
  /** a stable code such as `out-of-stock`, `payment-declined`, `timeout` */
  code: string;
  message: string;
  step: string;
}

/** What every step and compensation is given. */
export interface StepContext<State, Services> {
  sagaId: string;
  sagaType: string;
  /** the saga's input plus what earlier steps handed on */
  state: Readonly<State>;
  /** `<saga id>:<step name>`: pass it to every remote effect so a repeated step applies once */
  idempotencyKey: string;
  /** 1 on the first try of this step (or compensation), counting up on retries */
  attempt: number;
  /** set while compensating */
  failure?: SagaFailure;
  /** the owning module's own services */
  services: Services;
  log: Logger;
}

/** What a step hands on to later steps: merged into the saga's state. */
export type StatePatch<State> = Partial<State> | void;

export interface AwaitedSignal<State, Services> {
  /** the signal's name, as given to `SagaEngine.signal` */
  signal: string;
  /** how long to wait after the step's record has committed; past it the saga fails with `timeout` */
  timeoutMs(ctx: StepContext<State, Services>): number;
  /** applies the signal in the checkpoint's transaction; throw `stepFailed` to compensate */
  onSignal(ctx: StepContext<State, Services>, payload: unknown, trx: Knex.Transaction): Promise<StatePatch<State>>;
}

export interface Compensation<State, Services> {
  /** undoes remote effects; must be harmless when the step did nothing and when repeated */
  invoke?(ctx: StepContext<State, Services>): Promise<void>;
  /** undoes local effects, committed with the checkpoint */
  record?(ctx: StepContext<State, Services>, trx: Knex.Transaction): Promise<void>;
}

/**
 * One step of a saga with its compensation beside it. Both halves are optional:
 * `invoke` runs outside any transaction (calls to other modules, gateways) and must be
 * idempotent by `ctx.idempotencyKey`; `record` runs in the same transaction as the
 * checkpoint, so a local effect and the saga's progress commit together or not at all.
 */
export interface SagaStep<State, Services> {
  name: string;
  invoke?(ctx: StepContext<State, Services>): Promise<StatePatch<State>>;
  record?(ctx: StepContext<State, Services>, trx: Knex.Transaction): Promise<StatePatch<State>>;
  /** after the step has committed, the saga waits (at no cost) for this signal */
  awaits?: AwaitedSignal<State, Services>;
  compensate?: Compensation<State, Services>;
  /**
   * The point of no return: from this step on, the saga is never compensated; a failure
   * is retried and then parked as NEEDS_ATTENTION. Announce outcomes (a confirmation
   * e-mail's event) only from here on.
   */
  pivot?: boolean;
  /**
   * Commit this step's `record` in the same transaction as the step before it, right after
   * it: one commit and one checkpoint fewer, and the saga is never seen between the two. A
   * failure of either rolls both back, and the saga is still at the first: retried or
   * compensated from there, as for any failed step. Only for a step with nothing to call out
   * (no `invoke`), not the pivot, after a step that does not await a signal.
   */
  withPrevious?: boolean;
}

export interface SagaDefinition<State, Services = unknown> {
  /** stable: stored with every saga instance */
  name: string;
  steps: readonly SagaStep<State, Services>[];
}

/**
 * Declares a saga in a module.
 * @example export const placeOrder = defineSaga<PlaceOrderState, OrderServices>({ name: 'place-order', steps: [createOrder, reserveInventory] })
 */
export function defineSaga<State, Services = unknown>(definition: SagaDefinition<State, Services>): SagaDefinition<State, Services> {
  const names = definition.steps.map((step) => step.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`saga ${definition.name} has two steps named ${duplicate}`);
  definition.steps.forEach((step, index) => {
    if (!step.withPrevious) return;
    const previous = definition.steps[index - 1];
    const reason = !previous ? 'it is the first step' : step.invoke ? 'it calls out (invoke)' : step.pivot ? 'it is the pivot'
      : previous.awaits ? `${previous.name} awaits a signal` : undefined;
    if (reason) throw new Error(`saga ${definition.name}: step ${step.name} cannot commit with the step before it: ${reason}`);
  });
  return definition;
}

const STEP_FAILED = Symbol.for('commerce.saga.step-failed');

/** A business failure: no retry, the saga compensates. */
export class StepFailed extends Error {
  readonly [STEP_FAILED] = true;
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'StepFailed';
  }
}

/**
 * Fails the current step for a business reason (not retried).
 * @example throw stepFailed('out-of-stock', 'not enough units of 2 products')
 */
export function stepFailed(code: string, message: string): StepFailed {
  return new StepFailed(code, message);
}

export function isStepFailed(error: unknown): error is StepFailed {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[STEP_FAILED] === true;
}

export type SagaStatus = 'RUNNING' | 'WAITING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'NEEDS_ATTENTION';
export const ACTIVE_SAGA_STATUSES: readonly SagaStatus[] = ['RUNNING', 'WAITING', 'COMPENSATING', 'NEEDS_ATTENTION'];
