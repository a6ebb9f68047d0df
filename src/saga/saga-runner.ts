import type { Logger } from '../observability/logger.js';
import { runWithContext } from '../observability/request-context.js';
import { inSpan, noteFailure } from '../observability/tracing.js';
import { LeaseLost, type SagaCheckpoints, type StepEffects } from './saga-checkpoints.js';
import { isStepFailed, type SagaDefinition, type SagaFailure, type SagaStep, type StatePatch, type StepContext } from './saga-definition.js';
import type { Checkpoint, SagaRecord } from './saga-store.js';

export interface RetryPolicy {
  stepAttempts: number;
  compensationAttempts: number;
  backoffMs: number;
}

export interface RunnerParts {
  /** commits each step with its checkpoint, in transactions shared by sagas ready at the same moment */
  checkpoints: SagaCheckpoints;
  definitions: ReadonlyMap<string, SagaDefinition<any, any>>;
  services: unknown;
  policy: RetryPolicy;
  log: Logger;
  /** a parked or backed-off saga needs a job at a later time */
  schedule(id: string, version: number, inMs: number): Promise<void>;
}

/** The signal an abort request buffers; honoured at the next step boundary before the pivot. */
export const ABORT_SIGNAL = '__abort';

/** Exponential backoff with full jitter, so retries of many sagas do not arrive together. */
const backoff = (baseMs: number, attempt: number) => Math.round(baseMs * 2 ** Math.min(attempt - 1, 10) * (0.5 + Math.random() / 2));

/** Finished, or parked for an operator: nothing more for a worker to do. */
const settled = (saga: SagaRecord) => saga.status === 'COMPLETED' || saga.status === 'COMPENSATED' || saga.status === 'NEEDS_ATTENTION';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2_000);

/** What a saga step's span says: which saga, which step, which attempt. */
const stepAttributes = (saga: SagaRecord) => ({ 'saga.id': saga.id, 'saga.type': saga.sagaType, 'saga.step': saga.step, 'saga.attempt': saga.attempts + 1 });

/** The state with a step's patch merged in; the very same object when the step handed nothing on, so it is not written again. */
const patched = <State extends object>(state: State, patch: StatePatch<State>): State =>
  patch && Object.keys(patch).length > 0 ? { ...state, ...patch } : state;

/**
 * Moves one claimed saga as far as it can go without waiting: consecutive steps run one
 * after the other in this job, each committing its local effects with its checkpoint.
 * It stops at a wait (signal, deadline, backoff), at the end, or when parked.
 */
export class SagaRunner {
  constructor(private readonly parts: RunnerParts) {}

  /** Takes a claimed saga as far as it goes; answers it as last written when it settled here (finished or parked). */
  run(claimed: SagaRecord): Promise<SagaRecord | undefined> {
    return runWithContext({ correlationId: claimed.correlationId }, async () => {
      let saga: SagaRecord | undefined = claimed;
      while (saga && !settled(saga)) saga = await this.advance(saga);
      return saga;
    });
  }

  /** One unit of work; the next record when the same worker should go on at once, or the settled saga. */
  private advance(saga: SagaRecord): Promise<SagaRecord | undefined> {
    const definition = this.parts.definitions.get(saga.sagaType);
    if (!definition) {
      this.parts.log.error({ sagaId: saga.id, sagaType: saga.sagaType }, 'no definition for this saga type in this process');
      return this.write(saga, { status: 'NEEDS_ATTENTION', step: saga.step, attempts: saga.attempts, parkedStatus: saga.status, lastError: `unknown saga type ${saga.sagaType}`, wakeInMs: null, keepLease: false });
    }
    // Each unit is a span of the trace of the request that started the saga, whichever
    // process and job runs it, so one order reads as one trace from POST to confirmation.
    const span = saga.status === 'COMPENSATING' ? 'saga.compensate' : saga.status === 'WAITING' ? 'saga.resume' : 'saga.step';
    return inSpan(`${span} ${saga.sagaType}/${this.stepName(definition, saga.step)}`, {
      parent: saga.traceparent ?? undefined,
      attributes: stepAttributes(saga),
    }, () => this.unit(definition, saga));
  }

  private async unit(definition: SagaDefinition<any, any>, saga: SagaRecord): Promise<SagaRecord | undefined> {
    try {
      if (saga.status === 'COMPENSATING') return await this.compensate(definition, saga);
      if (ABORT_SIGNAL in saga.signals && !this.pastPivot(definition, saga.step)) {
        const requested = saga.signals[ABORT_SIGNAL] as Partial<SagaFailure> | null;
        return this.beginCompensation(definition, saga, { code: requested?.code ?? 'aborted', message: requested?.message ?? 'aborted on request', step: this.stepName(definition, saga.step) });
      }
      if (saga.status === 'WAITING') return await this.resume(definition, saga);
      return await this.forward(definition, saga);
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.parts.log.warn({ sagaId: saga.id }, 'saga lease lost to another worker; leaving it to that worker');
        return undefined;
      }
      throw error;
    }
  }

  private async forward(definition: SagaDefinition<any, any>, saga: SagaRecord): Promise<SagaRecord | undefined> {
    const step = definition.steps[saga.step]!;
    // A step that only holds an undo (the order saga's create-order) does nothing going forward,
    // so there is nothing to persist: the next step's checkpoint records both. Were the worker
    // to die first, the saga resumes at this step, which again does nothing. The last step
    // always commits, so a saga is never finished in memory only.
    if (!step.invoke && !step.record && !step.awaits && saga.step + 1 < definition.steps.length) return { ...saga, step: saga.step + 1 };
    // the step whose effects were running when something failed, for the failure's name
    let running = step;
    try {
      const invoked = patched(saga.state, await step.invoke?.(this.context(definition, saga, step)));
      return await this.commit(saga, async (trx) => {
        running = step;
        let reached = saga;
        let state = patched(invoked, await step.record?.(this.context(definition, { ...saga, state: invoked }, step), trx));
        // Following steps declared `withPrevious` commit in this same transaction: one commit and
        // one checkpoint fewer. A failure of one rolls back all of them, and the saga resumes
        // at the first.
        while (definition.steps[reached.step + 1]?.withPrevious) {
          reached = { ...reached, step: reached.step + 1 };
          const folded = running = definition.steps[reached.step]!;
          const ctx = this.context(definition, { ...reached, state }, folded);
          state = patched(state, await inSpan(`saga.step ${saga.sagaType}/${folded.name}`, {
            attributes: stepAttributes(reached),
          }, async () => folded.record?.(ctx, trx)));
        }
        const awaits = definition.steps[reached.step]!.awaits;
        if (awaits) {
          const timeoutMs = awaits.timeoutMs(this.context(definition, { ...reached, state }, definition.steps[reached.step]!));
          return { status: 'WAITING', step: reached.step, ...this.changed(saga, state), awaiting: awaits.signal, deadlineInMs: timeoutMs, attempts: 0, lastError: null, wakeInMs: timeoutMs, wakeOnSignal: true, keepLease: false };
        }
        return this.afterStep(definition, reached, state);
      });
    } catch (error) {
      return this.failed(definition, saga, running, error);
    }
  }

  /** A waiting step woke up: its signal arrived, its deadline passed, or nothing (a stray job). */
  private async resume(definition: SagaDefinition<any, any>, saga: SagaRecord): Promise<SagaRecord | undefined> {
    const step = definition.steps[saga.step]!;
    const awaited = step.awaits!;
    if (awaited.signal in saga.signals) {
      try {
        return await this.commit(saga, async (trx) => {
          const state = patched(saga.state, await awaited.onSignal(this.context(definition, saga, step), saga.signals[awaited.signal], trx));
          return { ...this.afterStep(definition, saga, state), awaiting: null, deadlineInMs: null, consumedSignal: awaited.signal };
        });
      } catch (error) {
        return this.failed(definition, saga, step, error);
      }
    }
    if (saga.deadlinePassed) {
      return this.beginCompensation(definition, saga, { code: 'timeout', message: `no ${awaited.signal} before the step's deadline`, step: step.name });
    }
    const leftMs = saga.deadlineAt ? Math.max(0, Date.parse(saga.deadlineAt) - Date.now()) : null;
    return this.write(saga, { status: 'WAITING', step: saga.step, attempts: saga.attempts, wakeInMs: leftMs, wakeOnSignal: true, keepLease: false });
  }

  /** Undoes steps in reverse, from the one that failed (it may have applied part of its effect). */
  private async compensate(definition: SagaDefinition<any, any>, saga: SagaRecord): Promise<SagaRecord | undefined> {
    if (saga.step < 0) return this.write(saga, { status: 'COMPENSATED', step: -1, attempts: 0, wakeInMs: null, keepLease: false });
    const step = definition.steps[saga.step]!;
    const ctx = this.context(definition, saga, step);
    try {
      await step.compensate?.invoke?.(ctx);
      return await this.commit(saga, async (trx) => {
        await step.compensate?.record?.(ctx, trx);
        const done = saga.step === 0;
        return { status: done ? 'COMPENSATED' : 'COMPENSATING', step: saga.step - 1, attempts: 0, lastError: null, wakeInMs: done ? null : 0, keepLease: !done };
      });
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      noteFailure(error);
      const attempts = saga.attempts + 1;
      this.parts.log.warn({ sagaId: saga.id, step: step.name, attempt: attempts, err: message(error) }, 'compensation failed');
      if (attempts >= this.parts.policy.compensationAttempts) return this.park(saga, attempts, error);
      return this.backOff(saga, attempts, error);
    }
  }

  private failed(definition: SagaDefinition<any, any>, saga: SagaRecord, step: SagaStep<any, any>, error: unknown): Promise<SagaRecord | undefined> {
    if (error instanceof LeaseLost) throw error;
    noteFailure(error);
    if (isStepFailed(error)) return this.beginCompensation(definition, saga, { code: error.code, message: error.message, step: step.name });
    const attempts = saga.attempts + 1;
    this.parts.log.warn({ sagaId: saga.id, step: step.name, attempt: attempts, err: message(error) }, 'saga step failed');
    if (attempts < this.parts.policy.stepAttempts) return this.backOff(saga, attempts, error);
    if (this.pastPivot(definition, saga.step)) return this.park(saga, attempts, error);
    return this.beginCompensation(definition, saga, { code: 'step-failed', message: message(error), step: step.name });
  }

  private beginCompensation(definition: SagaDefinition<any, any>, saga: SagaRecord, failure: SagaFailure): Promise<SagaRecord | undefined> {
    if (this.pastPivot(definition, saga.step)) {
      return this.write(saga, { status: 'NEEDS_ATTENTION', step: saga.step, attempts: saga.attempts, failure, parkedStatus: saga.status === 'WAITING' ? 'WAITING' : 'RUNNING', lastError: failure.message, wakeInMs: null, keepLease: false });
    }
    this.parts.log.info({ sagaId: saga.id, sagaType: saga.sagaType, failure }, 'saga compensating');
    return this.write(saga, { status: 'COMPENSATING', step: saga.step, attempts: 0, failure, awaiting: null, deadlineInMs: null, wakeInMs: 0, keepLease: true });
  }

  private async backOff(saga: SagaRecord, attempts: number, error: unknown): Promise<undefined> {
    const delay = backoff(this.parts.policy.backoffMs, attempts);
    const { written } = await this.parts.checkpoints.commit(saga.id, async () => ({
      status: saga.status, step: saga.step, attempts, lastError: message(error), wakeInMs: delay, keepLease: false,
    }));
    // The retry's own wake-up; the sweep only backs it up.
    await this.parts.schedule(saga.id, written.version, delay);
    return undefined;
  }

  private park(saga: SagaRecord, attempts: number, error: unknown): Promise<SagaRecord | undefined> {
    this.parts.log.error({ sagaId: saga.id, sagaType: saga.sagaType, err: message(error) }, 'saga needs attention');
    return this.write(saga, { status: 'NEEDS_ATTENTION', step: saga.step, attempts, parkedStatus: saga.status, lastError: message(error), wakeInMs: null, keepLease: false });
  }

  private afterStep(definition: SagaDefinition<any, any>, saga: SagaRecord, state: Record<string, unknown>): Checkpoint {
    const next = saga.step + 1;
    const done = next >= definition.steps.length;
    return { status: done ? 'COMPLETED' : 'RUNNING', step: next, ...this.changed(saga, state), attempts: 0, lastError: null, wakeInMs: done ? null : 0, keepLease: !done };
  }

  /** The state to write: none when no step changed it, so an unchanged state is not serialised and stored again. */
  private changed(saga: SagaRecord, state: Record<string, unknown>): Pick<Checkpoint, 'state'> {
    return state === saga.state ? {} : { state };
  }

  private pastPivot(definition: SagaDefinition<any, any>, step: number): boolean {
    return definition.steps.some((candidate, index) => candidate.pivot === true && index <= step);
  }

  private stepName(definition: SagaDefinition<any, any>, step: number): string {
    return definition.steps[Math.min(step, definition.steps.length - 1)]?.name ?? 'start';
  }

  private write(saga: SagaRecord, next: Checkpoint): Promise<SagaRecord | undefined> {
    return this.commit(saga, async () => next);
  }

  /** Commits a step's effects with its checkpoint; the record comes back when this worker goes straight on, or when the saga settled. */
  private async commit(saga: SagaRecord, effects: StepEffects): Promise<SagaRecord | undefined> {
    const { next, written } = await this.parts.checkpoints.commit(saga.id, effects);
    return next.keepLease || settled(written) ? written : this.dueAgain(written);
  }

  /** A released saga that is already due again (a signal came meanwhile) is taken straight back. */
  private dueAgain(written: SagaRecord): SagaRecord | undefined {
    if (written.wakeAt && Date.parse(written.wakeAt) <= Date.now() && (written.status === 'RUNNING' || written.status === 'WAITING')) {
      void this.parts.schedule(written.id, written.version, 0);
    }
    return undefined;
  }

  private context(definition: SagaDefinition<any, any>, saga: SagaRecord, step: SagaStep<any, any>): StepContext<any, any> {
    const parent = this.parts.log;
    let log: Logger | undefined;
    return {
      sagaId: saga.id, sagaType: definition.name, state: saga.state, idempotencyKey: `${saga.id}:${step.name}`,
      attempt: saga.attempts + 1, ...(saga.failure ? { failure: saga.failure } : {}),
      services: this.parts.services,
      // Made on first use: most steps never log, and a child logger per step is not free.
      get log() {
        return (log ??= parent.child({ sagaId: saga.id, sagaType: definition.name, step: step.name }));
      },
    };
  }
}
