import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../../modules/registry.js';
import { login, newCustomer, newProduct, placeOrder, settledOrder } from '../../modules/order/testing/shop.js';
import { exposedMetrics, selectorProblems } from './exposed-metrics.js';
import { dashboardQueries } from './observability-kit.js';
import { selectorsOf } from './promql-selectors.js';

/**
 * A panel whose query names a metric or a label the app does not expose shows "No data"
 * forever, and nothing else complains: this holds every dashboard query to a real scrape.
 */
let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(allModules); });
afterAll(async () => { await t?.close(); });

it('queries only metrics and labels that the running app exposes at /metrics', async () => {
  // One order through the whole flow, so the request, event, queue and saga families have samples and their labels can be judged.
  const admin = await login(t.http, t.config.ADMIN_EMAIL, t.config.ADMIN_PASSWORD);
  const customer = await newCustomer(t.http, ['approves']);
  const order = await placeOrder(t.http, customer, [{ productId: await newProduct(t.http, admin, 3), quantity: 1 }]);
  expect(order.status).toBe(202);
  expect((await settledOrder(t.http, customer, order.body.id)).status).toBe('CONFIRMED');

  const exposed = await eventually(async () => {
    const scraped = exposedMetrics(await (await fetch(`${t.http.baseUrl}/metrics`)).text());
    expect([...scraped.labels.keys()]).toEqual(expect.arrayContaining(['saga_outcomes_total', 'saga_duration_seconds_bucket', 'outbox_publish_lag_seconds']));
    return scraped;
  }, 10_000, 100);

  const queries = dashboardQueries();
  expect(queries.length).toBeGreaterThan(10);
  const problems = queries.flatMap((query) => {
    const selectors = selectorsOf(query.expr);
    if (selectors.length === 0) return [`${query.where}: reads no metric`];
    return selectors.flatMap((selector) => selectorProblems(selector, exposed).map((problem) => `${query.where}: ${problem}`));
  });
  expect(problems).toEqual([]);
});
