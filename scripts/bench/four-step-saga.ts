/**
 * The same four steps, declared once for our saga engine and once for DBOS Transact, side by
 * side so the two can be seen to do the same work: each step is one small INSERT of an
 * effect row `(saga id, step)`, and nothing else.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { defineModule } from '../../src/app/module-definition.js';
import { defineSaga, type SagaStep } from '../../src/saga/saga-definition.js';

export const STEPS = ['reserve-stock', 'charge-payment', 'create-shipment', 'confirm-order'] as const;

/** A small realistic input, stored with the saga (ours) and with the workflow (DBOS). */
export interface OrderInput {
  orderId: string;
  amountCents: number;
}

/**
 * The effects table, the same on both sides. No unique key on purpose: a step that ran
 * twice shows up as a fifth row, which the bench checks for.
 */
export const effectsTableSql = (table: string) => `CREATE TABLE ${table} (
  saga_id uuid NOT NULL, step text NOT NULL, done_at timestamptz NOT NULL DEFAULT clock_timestamp())`;

// --- ours: the effect is written in `record`, in the checkpoint's transaction -------------

const effect = (name: string): SagaStep<OrderInput, unknown> => ({
  name,
  async record(ctx, trx) {
    await trx.raw('INSERT INTO effects (saga_id, step) VALUES (?, ?)', [ctx.sagaId, name]);
  },
});

export const fourStepSaga = defineSaga<OrderInput>({ name: 'four-steps', steps: STEPS.map(effect) });

/**
 * A bench-only module hosting the saga. It has no migrations of its own (the folder does
 * not exist); the kernel still gives it its schema, role and kernel tables, `sagas` included.
 */
export const benchSagaModule = defineModule({
  name: 'bench-saga',
  schema: 'bench_saga',
  migrations: fileURLToPath(new URL('./migrations/bench_saga/', import.meta.url)),
  routePrefixes: [],
  publishes: [],
  sagas: [fourStepSaga],
  register: () => undefined,
});

// --- DBOS: each step runs its INSERT, then DBOS checkpoints the step in its system database --

/** Registers the workflow (before `DBOS.launch()`); its steps write through `pool`. */
export function registerFourStepWorkflow(pool: pg.Pool): (input: OrderInput) => Promise<void> {
  return DBOS.registerWorkflow(async (_input: OrderInput) => {
    const workflowId = DBOS.workflowID!;
    for (const name of STEPS) {
      // Returns nothing, like our steps: DBOS stores each step's result, so the same (empty) output on both sides.
      await DBOS.runStep(async () => { await pool.query('INSERT INTO effects (saga_id, step) VALUES ($1, $2)', [workflowId, name]); }, { name });
    }
  }, { name: 'four-steps' });
}
