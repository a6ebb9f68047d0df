import type { Knex } from 'knex';
import type { SharedTransactions } from '../db/shared-transactions.js';
import type { Logger } from '../observability/logger.js';
import { runWithContext } from '../observability/request-context.js';
import { isStepFailed, type SagaDefinition, type SagaFailure, type SagaStep, type StepContext } from './saga-definition.js';
import type { Checkpoint, SagaRecord, SagaStore } from './saga-store.js';

export interface RetryPolicy {
  stepAttempts: number;
  compensationAttempts: number;
  backoffMs: number;
}

export interface RunnerParts {
  /** checkpoint transactions, shared by sagas that are ready at the same moment */
  transactions: SharedTransactions;
  store: SagaStore;
  definitions: ReadonlyMap<string, SagaDefinition<any, any>>;
  services: unknown;
  policy: RetryPolicy;
  log: Logger;
  /** a parked or backed-off saga needs a job at a later time */
  schedule(id: string, version: number, inMs: number): Promise<void>;
  /** told of every saga this worker finished or parked */
  settled(saga: SagaRecord): void;
}

/** The signal an abort request buffers; honoured at the next step boundary before the pivot. */
export const ABORT_SIGNAL = '__abort';

class LeaseLost extends Error {}

/** Exponential backoff with full jitter, so retries of many sagas do not arrive together. */
const backoff = (baseMs: number, attempt: number) => Math.round(baseMs * 2 ** Math.min(attempt - 1, 10) * (0.5 + Math.random() / 2));

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2_000);

/**
 * Moves one claimed saga as far as it can go without waiting: consecutive steps run one
 * after the other in this job, each committing its local effects with its checkpoint.
 * It stops at a wait (signal, deadline, backoff), at the end, or when parked.
 */
export class SagaRunner {
  constructor(private readonly parts: RunnerParts, private readonly owner: string) {}

  async run(claimed: SagaRecord): Promise<void> {
    let saga: SagaRecord | undefined = claimed;
    await runWithContext({ correlationId: claimed.correlationId }, async () => {
      while (saga) saga = await this.advance(saga);
    });
  }

  /** One unit of work; the next record when the same worker should go on at once. */
  private async advance(saga: SagaRecord): Promise<SagaRecord | undefined> {
    const definition = this.parts.definitions.get(saga.sagaType);
    if (!definition) {
      this.parts.log.error({ sagaId: saga.id, sagaType: saga.sagaType }, 'no definition for this saga type in this process');
      return this.write(saga, { status: 'NEEDS_ATTENTION', step: saga.step, attempts: saga.attempts, parkedStatus: saga.status, lastError: `unknown saga type ${saga.sagaType}`, wakeInMs: null, keepLease: false });
    }
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
    try {
      let state = { ...saga.state, ...(await step.invoke?.(this.context(definition, saga, step))) };
      return await this.parts.transactions.run(async (trx) => {
        state = { ...state, ...(await step.record?.(this.context(definition, { ...saga, state }, step), trx)) };
        if (step.awaits) {
          const timeoutMs = step.awaits.timeoutMs(this.context(definition, { ...saga, state }, step));
          return this.checkpoint(trx, saga, { status: 'WAITING', step: saga.step, state, awaiting: step.awaits.signal, deadlineInMs: timeoutMs, attempts: 0, lastError: null, wakeInMs: timeoutMs, wakeOnSignal: true, keepLease: false });
        }
        return this.checkpoint(trx, saga, this.afterStep(definition, saga, state));
      });
    } catch (error) {
      return this.failed(definition, saga, step, error);
    }
  }

  /** A waiting step woke up: its signal arrived, its deadline passed, or nothing (a stray job). */
  private async resume(definition: SagaDefinition<any, any>, saga: SagaRecord): Promise<SagaRecord | undefined> {
    const step = definition.steps[saga.step]!;
    const awaited = step.awaits!;
    if (awaited.signal in saga.signals) {
      try {
        return await this.parts.transactions.run(async (trx) => {
          const state = { ...saga.state, ...(await awaited.onSignal(this.context(definition, saga, step), saga.signals[awaited.signal], trx)) };
          return this.checkpoint(trx, saga, { ...this.afterStep(definition, saga, state), awaiting: null, deadlineInMs: null, consumedSignal: awaited.signal });
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
      return await this.parts.transactions.run(async (trx) => {
        await step.compensate?.record?.(ctx, trx);
        const done = saga.step === 0;
        return this.checkpoint(trx, saga, { status: done ? 'COMPENSATED' : 'COMPENSATING', step: saga.step - 1, attempts: 0, lastError: null, wakeInMs: done ? null : 0, keepLease: !done });
      });
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      const attempts = saga.attempts + 1;
      this.parts.log.warn({ sagaId: saga.id, step: step.name, attempt: attempts, err: message(error) }, 'compensation failed');
      if (attempts >= this.parts.policy.compensationAttempts) return this.park(saga, attempts, error);
      return this.backOff(saga, attempts, error);
    }
  }

  private failed(definition: SagaDefinition<any, any>, saga: SagaRecord, step: SagaStep<any, any>, error: unknown): Promise<SagaRecord | undefined> {
    if (error instanceof LeaseLost) throw error;
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
    const written = await this.parts.transactions.run((trx) => this.parts.store.checkpoint(trx, saga.id, this.owner, {
      status: saga.status, step: saga.step, attempts, lastError: message(error), wakeInMs: delay, keepLease: false,
    }));
    if (!written) throw new LeaseLost();
    // The retry's own wake-up; the sweep only backs it up.
    await this.parts.schedule(saga.id, written.version, delay);
    return undefined;
  }

  private park(saga: SagaRecord, attempts: number, error: unknown): Promise<undefined> {
    this.parts.log.error({ sagaId: saga.id, sagaType: saga.sagaType, err: message(error) }, 'saga needs attention');
    return this.write(saga, { status: 'NEEDS_ATTENTION', step: saga.step, attempts, parkedStatus: saga.status, lastError: message(error), wakeInMs: null, keepLease: false }).then(() => undefined);
  }

  private afterStep(definition: SagaDefinition<any, any>, saga: SagaRecord, state: Record<string, unknown>): Checkpoint {
    const next = saga.step + 1;
    const done = next >= definition.steps.length;
    return { status: done ? 'COMPLETED' : 'RUNNING', step: next, state, attempts: 0, lastError: null, wakeInMs: done ? null : 0, keepLease: !done };
  }

  private pastPivot(definition: SagaDefinition<any, any>, step: number): boolean {
    return definition.steps.some((candidate, index) => candidate.pivot === true && index <= step);
  }

  private stepName(definition: SagaDefinition<any, any>, step: number): string {
    return definition.steps[Math.min(step, definition.steps.length - 1)]?.name ?? 'start';
  }

  private write(saga: SagaRecord, next: Checkpoint): Promise<SagaRecord | undefined> {
    return this.parts.transactions.run((trx) => this.checkpoint(trx, saga, next));
  }

  /** Commits progress; the record comes back only when this worker goes straight on. */
  private async checkpoint(trx: Knex.Transaction, saga: SagaRecord, next: Checkpoint): Promise<SagaRecord | undefined> {
    const written = await this.parts.store.checkpoint(trx, saga.id, this.owner, next);
    if (!written) throw new LeaseLost();
    if (written.status === 'COMPLETED' || written.status === 'COMPENSATED' || written.status === 'NEEDS_ATTENTION') {
      trx.executionPromise.then(() => this.parts.settled(written), () => undefined);
    }
    return next.keepLease ? written : this.dueAgain(written);
  }

  /** A released saga that is already due again (a signal came meanwhile) is taken straight back. */
  private dueAgain(written: SagaRecord): SagaRecord | undefined {
    if (written.wakeAt && Date.parse(written.wakeAt) <= Date.now() && (written.status === 'RUNNING' || written.status === 'WAITING')) {
      void this.parts.schedule(written.id, written.version, 0);
    }
    return undefined;
  }

  private context(definition: SagaDefinition<any, any>, saga: SagaRecord, step: SagaStep<any, any>): StepContext<any, any> {
    return {
      sagaId: saga.id, sagaType: definition.name, state: saga.state, idempotencyKey: `${saga.id}:${step.name}`,
      attempt: saga.attempts + 1, ...(saga.failure ? { failure: saga.failure } : {}),
      services: this.parts.services, log: this.parts.log.child({ sagaId: saga.id, sagaType: definition.name, step: step.name }),
    };
  }
}
