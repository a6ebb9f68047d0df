import { z } from 'zod';
import type { ApiRoutes } from '../http/api/api-routes.js';
import { NotFound } from '../http/problem.js';
import { DEPENDENCY_NAME } from '../resilience/dependency-settings.js';
import { FaultInjectionOff, FaultSpec, type FaultInjector } from '../resilience/fault-injection.js';
import type { Resilience } from '../resilience/resilience.js';

const TAG = 'admin: resilience';
const Timestamp = z.iso.datetime({ offset: true });
const Count = z.number().int();

const DependencyParams = z.strictObject({
  dependency: z.string().regex(DEPENDENCY_NAME).describe('a dependency name, e.g. product'),
});

const DependencyResilience = z.object({
  dependency: z.string(),
  circuit: z.enum(['closed', 'open', 'half-open', 'isolated']).describe('open: calls fail fast with 503; half-open: one trial call decides; isolated: held open by an operator'),
  since: Timestamp.describe('when the circuit entered its state'),
  bulkhead: z.object({ active: Count, queued: Count, concurrency: Count, queue: Count }),
  calls: z.object({
    succeeded: Count, failed: Count, rejected: Count.describe('refused without calling: bulkhead full, circuit open, deadline passed'),
    retried: Count.describe('attempts'), fellBack: Count, timedOut: Count.describe('attempts'),
  }).describe('since the process started'),
}).meta({ id: 'DependencyResilience', description: "One dependency's circuit, bulkhead and call counts on this instance" });

const Fault = z.object({
  dependency: z.string(), delayMs: Count, delayRatio: z.number(), abortRatio: z.number(), abortStatus: Count, routePrefix: z.string().optional(),
}).meta({ id: 'Fault', description: 'A fault injected into the calls to one dependency' });

/**
 * The operator's view of remote dependencies on this instance: circuits, bulkheads and call
 * counts; taking a dependency out of use; and, on a process started for chaos runs, faults.
 * @example resilienceAdminRoutes(api, resilience, faults)
 */
export function resilienceAdminRoutes(api: ApiRoutes, resilience: Resilience, faults: FaultInjector): void {
  api.describeTag(TAG, 'Circuits, bulkheads and injected faults of the remote dependencies of this instance');

  const known = (dependency: string): string => {
    if (!resilience.has(dependency)) throw NotFound(`No calls to ${dependency} have been made on this instance`);
    return dependency;
  };

  api.route({
    operationId: 'listDependencyResilience', method: 'get', path: '/admin/resilience', summary: 'Circuits and bulkheads of every dependency', tags: [TAG], access: 'admin',
    description: 'Dependencies appear once this instance has called them.',
    responses: { 200: { description: 'Every dependency called so far', body: z.object({ items: z.array(DependencyResilience) }) } },
  }).handle(() => ({ status: 200, body: { items: resilience.states() } }));

  api.route({
    operationId: 'isolateDependency', method: 'post', path: '/admin/resilience/:dependency/isolate', summary: "Hold a dependency's circuit open", tags: [TAG], access: 'admin',
    description: 'Calls fail fast with 503 `circuit-open` (or get their fallback) until the circuit is reset.',
    request: { params: DependencyParams },
    responses: { 200: { description: 'The dependency, isolated', body: DependencyResilience } },
    problems: [NotFound],
  }).handle(({ params }) => ({ status: 200, body: resilience.isolate(known(params.dependency)) }));

  api.route({
    operationId: 'resetDependency', method: 'post', path: '/admin/resilience/:dependency/reset', summary: "Close a dependency's circuit", tags: [TAG], access: 'admin',
    request: { params: DependencyParams },
    responses: { 200: { description: 'The dependency, its circuit closed', body: DependencyResilience } },
    problems: [NotFound],
  }).handle(({ params }) => ({ status: 200, body: resilience.reset(known(params.dependency)) }));

  api.route({
    operationId: 'listFaults', method: 'get', path: '/admin/faults', summary: 'Faults injected into dependency calls', tags: [TAG], access: 'admin',
    responses: {
      200: {
        description: 'Whether fault injection is on, and its faults',
        body: z.object({ enabled: z.boolean().describe('on when the process was started with FAULT_INJECTION'), items: z.array(Fault) }),
      },
    },
  }).handle(() => ({ status: 200, body: { enabled: faults.enabled, items: faults.list() } }));

  api.route({
    operationId: 'setFault', method: 'put', path: '/admin/faults/:dependency', summary: 'Inject a fault into the calls to a dependency', tags: [TAG], access: 'admin',
    description: 'Replaces the dependency\'s fault. Only on a process started with FAULT_INJECTION; otherwise 409.',
    request: { params: DependencyParams, body: FaultSpec },
    responses: { 200: { description: 'The fault now injected', body: Fault } },
    problems: [FaultInjectionOff],
  }).handle(({ params, body }) => {
    const fault = faults.set(params.dependency, body);
    if (!fault) throw new Error('a fault spec always yields a fault');
    return { status: 200, body: { dependency: params.dependency, ...fault } };
  });

  api.route({
    operationId: 'removeFault', method: 'delete', path: '/admin/faults/:dependency', summary: "Stop injecting a dependency's fault", tags: [TAG], access: 'admin',
    request: { params: DependencyParams },
    responses: { 204: { description: 'No fault is injected into the dependency any more' } },
  }).handle(({ params }) => {
    if (faults.enabled) faults.set(params.dependency, null);
    return { status: 204 };
  });
}
