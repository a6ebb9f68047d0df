import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { eventually } from '../testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { RouteTable } from './route-table.js';

let t: TestPlatform;
const log = createLogger({ level: 'silent', pretty: false });
const tables: RouteTable[] = [];
const table = async () => {
  const routes = new RouteTable(t.platform.platformDb, 500, log);
  await routes.start();
  tables.push(routes);
  return routes;
};

beforeAll(async () => { t = await startTestPlatform([], { startEvents: false }); });
afterAll(async () => {
  for (const routes of tables) routes.stop();
  await t?.close();
});

it('serves a module locally until someone says otherwise', async () => {
  expect((await table()).route('order')).toMatchObject({ module: 'order', mode: 'local', revision: 0 });
});

it('applies a change made through one instance in every other within a second', async () => {
  const [here, there] = [await table(), await table()];
  const changed = await here.change('order', { mode: 'canary', canaryPercent: 25 }, 'test');
  expect(changed).toMatchObject({ mode: 'canary', canaryPercent: 25, canaryHeader: true, targetUrl: null, revision: 1, updatedBy: 'test' });
  expect(here.route('order').mode).toBe('canary');
  const started = performance.now();
  await eventually(() => expect(there.route('order')).toMatchObject({ mode: 'canary', canaryPercent: 25, revision: 1 }), 2_000, 20);
  expect(performance.now() - started).toBeLessThan(1_000);

  await there.change('order', { mode: 'remote', targetUrl: 'http://order.internal:3104' }, 'test');
  await eventually(() => expect(here.route('order')).toMatchObject({ mode: 'remote', targetUrl: 'http://order.internal:3104', revision: 2 }), 2_000, 20);
  // Leaving targetUrl out keeps it; null clears it.
  expect((await here.change('order', { mode: 'shadow' }, 'test')).targetUrl).toBe('http://order.internal:3104');
  expect((await here.change('order', { mode: 'local', targetUrl: null }, 'test')).targetUrl).toBeNull();
});

it('refuses what the table does not allow', async () => {
  const routes = await table();
  await expect(routes.change('order', { mode: 'sideways' } as never, 'test')).rejects.toThrow(/module_routes_mode_check/);
});
