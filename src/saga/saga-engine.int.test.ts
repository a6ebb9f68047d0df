import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import type { ModuleContainer, ModuleDefinition } from '../app/module-definition.js';
import { schemaOwner } from '../db/module-role.js';
import { adminClient } from '../testing/counter-pipeline.js';
import { eventually } from '../testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { defineSaga, stepFailed, type SagaStep } from './saga-definition.js';
import type { SagaEngine } from './saga-engine.js';

/**
 * The engine on its own: a module (the notification module's schema, with sagas of its
 * own) whose steps write a journal row for every effect and every undo, so the tests can
 * read exactly what ran, in which order, and how often.
 */
interface Scenario {
  /** a step name → how it misbehaves */
  failAt?: string;
  transientAt?: string;
  transientTimes?: number;
  brokenCompensation?: string;
}

const tries = new Map<string, number>();
const broken = new Set<string>();
const journal = (trx: { raw: (sql: string, b: unknown[]) => Promise<unknown> }, sagaId: string, entry: string) =>
  trx.raw('INSERT INTO saga_journal (saga_id, entry) VALUES (?, ?)', [sagaId, entry]);

function journalStep(name: string, extra: Partial<SagaStep<Scenario, unknown>> = {}): SagaStep<Scenario, unknown> {
  return {
    name,
    async record(ctx, trx) {
      if (ctx.state.failAt === name) throw stepFailed('refused', `${name} refused`);
      if (ctx.state.transientAt === name) {
        const key = ctx.idempotencyKey;
        const seen = (tries.get(key) ?? 0) + 1;
        tries.set(key, seen);
        if (seen <= (ctx.state.transientTimes ?? 2)) throw new Error(`${name} is briefly unavailable`);
      }
      await journal(trx, ctx.sagaId, `do:${name}`);
      return { [`${name}Done`]: true } as Partial<Scenario>;
    },
    compensate: {
      async record(ctx, trx) {
        if (ctx.state.brokenCompensation === name && broken.has(ctx.sagaId)) throw new Error(`undo of ${name} is broken`);
        await journal(trx, ctx.sagaId, `undo:${name}:${ctx.failure?.code}`);
      },
    },
    ...extra,
  };
}

const fourSteps = defineSaga<Scenario>({ name: 'four-steps', steps: ['a', 'b', 'c', 'd'].map((name) => journalStep(name)) });
const joined = defineSaga<Scenario>({ name: 'joined-steps', steps: [journalStep('a'), journalStep('b'), journalStep('c', { withPrevious: true }), journalStep('d')] });
const awaiting = defineSaga<Scenario>({
  name: 'awaits-approval',
  steps: [
    journalStep('prepare'),
    journalStep('ask', {
      awaits: {
        signal: 'approval',
        timeoutMs: () => 700,
        async onSignal(ctx, payload, trx) {
          if ((payload as { approved: boolean }).approved !== true) throw stepFailed('rejected', 'approval refused');
          await journal(trx, ctx.sagaId, 'approved');
        },
      },
    }),
    journalStep('finish', { pivot: true }),
    journalStep('after-pivot'),
  ],
});

let t: TestPlatform;
let admin: pg.Client;
let container: ModuleContainer;
let sagas: SagaEngine;
let adminToken: string;

const host: ModuleDefinition = { ...allModules.find((m) => m.name === 'notification')!, subscriptions: [], sagas: [fourSteps, joined, awaiting] };

beforeAll(async () => {
  t = await startTestPlatform([allModules.find((m) => m.name === 'user')!, host], {
    startEvents: false,
    env: { SAGA_BACKOFF_MS: '20', SAGA_STEP_ATTEMPTS: '4', SAGA_COMPENSATION_ATTEMPTS: '3', SAGA_SWEEP_MS: '200', SAGA_LEASE_MS: '1000' },
  });
  admin = await adminClient(t.adminDatabaseUrl);
  const owner = schemaOwner(host.schema, { prefix: t.config.DATABASE_ROLE_PREFIX, secret: t.config.DATABASE_ROLE_SECRET });
  await admin.query(`CREATE TABLE "${host.schema}".saga_journal (seq bigserial PRIMARY KEY, saga_id uuid NOT NULL, entry text NOT NULL)`);
  await admin.query(`ALTER TABLE "${host.schema}".saga_journal OWNER TO ${pg.escapeIdentifier(owner.role)}`);
  await admin.query(`ALTER SEQUENCE "${host.schema}".saga_journal_seq_seq OWNER TO ${pg.escapeIdentifier(owner.role)}`);
  container = t.platform.modules.find((m) => m.definition.name === host.name)!.container;
  sagas = container.cradle.sagas;
  await t.platform.start();
  const login = await t.http.post('/api/v1/auth/login', { body: { email: t.config.ADMIN_EMAIL, password: t.config.ADMIN_PASSWORD } });
  adminToken = login.body.accessToken as string;
});
afterAll(async () => {
  await admin?.end();
  await t?.close();
});

const entries = async (sagaId: string) =>
  (await admin.query<{ entry: string }>(`SELECT entry FROM "${host.schema}".saga_journal WHERE saga_id = $1 ORDER BY seq`, [sagaId])).rows.map((r) => r.entry);
const settled = (sagaId: string, status: string) => eventually(async () => {
  const saga = await sagas.find(sagaId);
  expect(saga?.status).toBe(status);
  return saga!;
});

describe('a durable saga', () => {
  it('runs every step once, in order, and hands state on', async () => {
    const { sagaId } = await sagas.start(undefined, fourSteps, { input: {} });
    const saga = await settled(sagaId, 'COMPLETED');
    expect(await entries(sagaId)).toEqual(['do:a', 'do:b', 'do:c', 'do:d']);
    expect(saga.state).toMatchObject({ aDone: true, bDone: true, cDone: true, dDone: true });
  });

  it('compensates the steps before a refused one in reverse order, keeping the reason', async () => {
    const { sagaId } = await sagas.start(undefined, fourSteps, { input: { failAt: 'c' } });
    const saga = await settled(sagaId, 'COMPENSATED');
    expect(await entries(sagaId)).toEqual(['do:a', 'do:b', 'undo:c:refused', 'undo:b:refused', 'undo:a:refused']);
    expect(saga.failure).toMatchObject({ code: 'refused', step: 'c' });
  });

  it('retries a step that fails briefly and then goes on', async () => {
    const { sagaId } = await sagas.start(undefined, fourSteps, { input: { transientAt: 'b', transientTimes: 2 } });
    await settled(sagaId, 'COMPLETED');
    expect(await entries(sagaId)).toEqual(['do:a', 'do:b', 'do:c', 'do:d']);
  });

  it('compensates once a step keeps failing past its attempts', async () => {
    const { sagaId } = await sagas.start(undefined, fourSteps, { input: { transientAt: 'b', transientTimes: 99 } });
    const saga = await settled(sagaId, 'COMPENSATED');
    expect(saga.failure).toMatchObject({ code: 'step-failed', step: 'b' });
    expect(await entries(sagaId)).toEqual(['do:a', 'undo:b:step-failed', 'undo:a:step-failed']);
  });

  it('commits a step declared withPrevious together with the step before it: a refusal of it undoes both from the first', async () => {
    const done = await sagas.start(undefined, joined, { input: {} });
    await settled(done.sagaId, 'COMPLETED');
    expect(await entries(done.sagaId)).toEqual(['do:a', 'do:b', 'do:c', 'do:d']);

    const { sagaId } = await sagas.start(undefined, joined, { input: { failAt: 'c' } });
    const saga = await settled(sagaId, 'COMPENSATED');
    // b's effect rolled back with c's refusal, so the saga was never past b: undone from b on.
    expect(await entries(sagaId)).toEqual(['do:a', 'undo:b:refused', 'undo:a:refused']);
    expect(saga.failure).toMatchObject({ code: 'refused', step: 'c' });
  });

  it('refuses to define a step withPrevious that calls out, comes first or follows a wait', () => {
    const step = (name: string, extra: Partial<SagaStep<Scenario, unknown>> = {}) => journalStep(name, extra);
    expect(() => defineSaga({ name: 'x', steps: [step('a', { withPrevious: true })] })).toThrow('it is the first step');
    expect(() => defineSaga({ name: 'x', steps: [step('a'), step('b', { withPrevious: true, invoke: async () => undefined })] })).toThrow('it calls out');
    expect(() => defineSaga({ name: 'x', steps: [step('a', { pivot: true }), step('b', { withPrevious: true, pivot: true })] })).toThrow('it is the pivot');
    const waits = step('a', { awaits: { signal: 's', timeoutMs: () => 1, onSignal: async () => undefined } });
    expect(() => defineSaga({ name: 'x', steps: [waits, step('b', { withPrevious: true })] })).toThrow('a awaits a signal');
  });

  it('refuses a second unfinished saga for the same lock key with a 409', async () => {
    const lockKey = `order-${Date.now()}`;
    await sagas.start(undefined, awaiting, { lockKey, input: {} });
    await expect(sagas.start(undefined, awaiting, { lockKey, input: {} })).rejects.toMatchObject({ status: 409 });
  });

  it('starts only if the caller commits', async () => {
    const db = container.cradle.db;
    let started = '';
    await expect(db.transaction(async (trx) => {
      started = (await sagas.start(trx, fourSteps, { input: {} })).sagaId;
      throw new Error('caller rolls back');
    })).rejects.toThrow('caller rolls back');
    expect(await sagas.find(started)).toBeUndefined();
  });
});

describe('a saga that waits for a signal', () => {
  it('waits at no cost, then resumes when the signal commits', async () => {
    const { sagaId } = await sagas.start(undefined, awaiting, { input: {} });
    await settled(sagaId, 'WAITING');
    await container.cradle.db.transaction((trx) => sagas.signal(trx, { id: sagaId }, 'approval', { approved: true }));
    await settled(sagaId, 'COMPLETED');
    expect(await entries(sagaId)).toEqual(['do:prepare', 'do:ask', 'approved', 'do:finish', 'do:after-pivot']);
  });

  it('compensates, including the waiting step, when the deadline passes', async () => {
    const { sagaId } = await sagas.start(undefined, awaiting, { input: {} });
    const saga = await settled(sagaId, 'COMPENSATED');
    expect(saga.failure).toMatchObject({ code: 'timeout', step: 'ask' });
    expect(await entries(sagaId)).toEqual(['do:prepare', 'do:ask', 'undo:ask:timeout', 'undo:prepare:timeout']);
  });

  it('compensates when the signal says no, and ignores a signal once finished', async () => {
    const lockKey = `reject-${Date.now()}`;
    const { sagaId } = await sagas.start(undefined, awaiting, { lockKey, input: {} });
    await settled(sagaId, 'WAITING');
    await container.cradle.db.transaction((trx) => sagas.signal(trx, { sagaType: awaiting.name, lockKey }, 'approval', { approved: false }));
    expect((await settled(sagaId, 'COMPENSATED')).failure?.code).toBe('rejected');
    expect(await container.cradle.db.transaction((trx) => sagas.signal(trx, { id: sagaId }, 'approval', { approved: true }))).toBe(false);
  });

  it('stops and compensates on an abort request while waiting', async () => {
    const { sagaId } = await sagas.start(undefined, awaiting, { input: {} });
    await settled(sagaId, 'WAITING');
    await container.cradle.db.transaction((trx) => sagas.requestAbort(trx, { id: sagaId }, { code: 'cancelled-by-customer', message: 'changed my mind' }));
    expect((await settled(sagaId, 'COMPENSATED')).failure?.code).toBe('cancelled-by-customer');
  });

  it('never compensates past its pivot: an abort after it changes nothing', async () => {
    const { sagaId } = await sagas.start(undefined, awaiting, { input: {} });
    await settled(sagaId, 'WAITING');
    await container.cradle.db.transaction((trx) => sagas.signal(trx, { id: sagaId }, 'approval', { approved: true }));
    await settled(sagaId, 'COMPLETED');
    expect(await entries(sagaId)).not.toContainEqual(expect.stringMatching(/^undo:/));
  });
});

describe('when things break', () => {
  it('parks a saga whose compensation keeps failing, lists it for admins, and retries it on request', async () => {
    const { sagaId } = await sagas.start(undefined, fourSteps, { input: { failAt: 'c', brokenCompensation: 'b' } });
    broken.add(sagaId);
    await settled(sagaId, 'NEEDS_ATTENTION');
    const listed = await t.http.get('/admin/sagas?status=NEEDS_ATTENTION', { token: adminToken });
    expect(listed.status).toBe(200);
    expect((listed.body.items as { id: string; lastError: string }[]).find((s) => s.id === sagaId)?.lastError).toContain('undo of b is broken');

    broken.delete(sagaId);
    const retried = await t.http.post(`/admin/sagas/${sagaId}/retry`, { token: adminToken });
    expect(retried.status).toBe(202);
    await settled(sagaId, 'COMPENSATED');
    expect(await entries(sagaId)).toEqual(['do:a', 'do:b', 'undo:c:refused', 'undo:b:refused', 'undo:a:refused']);
  });

  it('answers problems on the admin API: unknown saga 404, retry of a running one 409, customers 403', async () => {
    expect((await t.http.post(`/admin/sagas/${crypto.randomUUID()}/retry`, { token: adminToken })).status).toBe(404);
    expect((await t.http.get('/admin/sagas/not-an-id', { token: adminToken })).status).toBe(404);
    expect((await t.http.get('/admin/sagas?status=SLEEPING', { token: adminToken })).status).toBe(400);
    const { sagaId } = await sagas.start(undefined, awaiting, { input: {} });
    await settled(sagaId, 'WAITING');
    const conflict = await t.http.post(`/admin/sagas/${sagaId}/retry`, { token: adminToken });
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
    expect((await t.http.get('/admin/sagas')).status).toBe(401);
  });

  it('takes over a saga whose worker vanished once its lease runs out', async () => {
    const { sagaId } = await sagas.start(undefined, awaiting, { input: {} });
    await settled(sagaId, 'WAITING');
    // A worker of a process that died mid-step: it holds the lease and will never write again.
    await admin.query(`UPDATE "${host.schema}".sagas SET status = 'RUNNING', awaiting = NULL, step = 2, lease_owner = 'dead-worker',
      lease_until = clock_timestamp() + interval '800 milliseconds', wake_at = clock_timestamp() WHERE id = $1`, [sagaId]);
    await settled(sagaId, 'COMPLETED');
    expect(await entries(sagaId)).toEqual(['do:prepare', 'do:ask', 'do:finish', 'do:after-pivot']);
  });
});
