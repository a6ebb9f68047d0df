import { createContainer } from 'awilix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/config.js';
import { createGuards } from '../http/authenticate.js';
import { createLogger } from '../observability/logger.js';
import { AccessTokens } from '../security/access-tokens.js';
import { buildHttpApp, type HostedModule } from './http-app.js';
import type { ModuleContainer } from './module-definition.js';

/**
 * Each module's operations run in a request scope of that module's container, and only of
 * that one: a request for the last module must not open (and dispose) a scope in every
 * module mounted before it, nor leave another module's name on the request.
 */
const scopesOpened: string[] = [];

function hostedModule(name: string): HostedModule {
  const container = createContainer() as unknown as ModuleContainer;
  const createScope = container.createScope.bind(container);
  container.createScope = () => {
    scopesOpened.push(name);
    return createScope();
  };
  return {
    container,
    definition: {
      name, schema: name, migrations: '', routePrefixes: [`/api/v1/${name}`], publishes: [], register: () => undefined,
      routes(api) {
        api.route({
          operationId: `read-${name}`, method: 'get', path: `/api/v1/${name}`, summary: `Which module served this`, tags: [name], access: 'public',
          responses: { 200: { description: 'the module and its scope', body: z.object({ module: z.string() }) } },
        }).handle(async (_input, ctx) => ({ status: 200, body: { module: String(ctx.state.module) } }));
      },
    },
  };
}

let base: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const { app } = buildHttpApp({
    config: loadConfig({}), log: createLogger({ level: 'silent', pretty: false }), readiness: {},
    guards: createGuards(new AccessTokens('a-test-secret-of-at-least-32-characters!', 60)),
    modules: ['first', 'second', 'third'].map(hostedModule),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close?.());

describe('module routers', () => {
  it('open a request scope in the module that serves the request, and in no other', async () => {
    for (const name of ['third', 'first', 'second']) {
      scopesOpened.length = 0;
      const response = await fetch(`${base}/api/v1/${name}`);
      expect(await response.json()).toEqual({ module: name });
      expect(scopesOpened).toEqual([name]);
    }
  });

  it('open no scope for a path no module serves', async () => {
    scopesOpened.length = 0;
    expect((await fetch(`${base}/api/v1/nothing-here`)).status).toBe(404);
    expect(scopesOpened).toEqual([]);
  });
});
