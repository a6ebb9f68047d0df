import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import { expectNoStrayCharges, expectStockConserved, login, newCustomer, newProduct, placeOrder, type Customer } from './testing/shop.js';

/**
 * A worker process killed with SIGKILL in the middle of 100 order sagas, then started
 * again: every saga still ends CONFIRMED or CANCELLED, with no operator call.
 *
 * This test process only serves HTTP (it starts no relay, consumer or saga worker); a child
 * process on the same database and Redis prefix does all the background work.
 */
const ORDERS = 100;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let t: TestPlatform;
let admin: pg.Client;
let worker: ChildProcess | undefined;

function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info',
      DATABASE_URL: t.config.DATABASE_URL, REDIS_URL: t.config.REDIS_URL, REDIS_PREFIX: t.config.REDIS_PREFIX,
      // Slow enough that the kill lands mid-flight; short leases so the restart takes over quickly.
      SAGA_CONCURRENCY: '3', CONSUMER_CONCURRENCY: '5', SAGA_LEASE_MS: '1500', SAGA_SWEEP_MS: '300',
      RELAY_LEASE_MS: '1500', RELAY_POLL_MS: '100', CONSUMER_LOCK_MS: '2000', EVENT_BACKOFF_MS: '50',
      ORDER_PAYMENT_DEADLINE_MS: '30000', DATABASE_POOL_MAX: '4',
    },
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"listening"')) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before listening:\n${output.slice(-2_000)}`)));
  });
}

async function settledCount(): Promise<number> {
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM orders.orders WHERE status IN ('CONFIRMED', 'CANCELLED')`);
  return rows[0].n as number;
}

beforeAll(async () => {
  t = await startTestPlatform(allModules, { startEvents: false });
  admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await admin?.end();
  await t?.close();
});

it('finishes every saga after its worker is killed with SIGKILL and started again', async () => {
  const adminToken = await login(t.http, t.config.ADMIN_EMAIL, t.config.ADMIN_PASSWORD);
  const scarce = await newProduct(t.http, adminToken, 60);
  const plenty = await newProduct(t.http, adminToken, 1_000);
  const customers: Customer[] = await Promise.all(Array.from({ length: 10 }, () => newCustomer(t.http, ['approves', 'declined'])));

  worker = await startWorker();
  const placed = await Promise.all(Array.from({ length: ORDERS }, (_, index) => {
    const customer = customers[index % customers.length]!;
    return placeOrder(t.http, customer, [{ productId: scarce, quantity: 1 }, { productId: plenty, quantity: 2 }], index % 7 === 0 ? 'declined' : 'approves');
  }));
  expect(placed.every((res) => res.status === 202)).toBe(true);

  await eventually(async () => expect(await settledCount()).toBeGreaterThanOrEqual(5), 30_000, 20);
  worker.kill('SIGKILL');
  const atKill = await settledCount();
  expect(atKill, 'the kill should land while sagas are still running').toBeLessThan(ORDERS);

  worker = await startWorker();
  await eventually(async () => expect(await settledCount()).toBe(ORDERS), 90_000, 250);

  const { rows: statuses } = await admin.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM orders.orders GROUP BY status');
  const byStatus = Object.fromEntries(statuses.map((row) => [row.status, row.n]));
  // 60 units for about 85 payable orders: some sell out, none oversell; what is sold is what was confirmed.
  expect(byStatus.CONFIRMED).toBeGreaterThan(0);
  expect(byStatus.CONFIRMED).toBeLessThanOrEqual(60);
  const { rows: sold } = await admin.query('SELECT sold FROM products.products WHERE id = $1', [scarce]);
  expect(sold[0].sold).toBe(byStatus.CONFIRMED);
  const { rows: parked } = await admin.query(`SELECT id FROM orders.sagas WHERE status <> 'COMPLETED' AND status <> 'COMPENSATED'
    UNION ALL SELECT id FROM payments.sagas WHERE status <> 'COMPLETED' AND status <> 'COMPENSATED'`);
  expect(parked).toEqual([]);
  await expectStockConserved(admin, new Map([[scarce, 60], [plenty, 1_000]]));
  await expectNoStrayCharges(admin);
  const { rows: charges } = await admin.query('SELECT order_id, count(*)::int AS n FROM payments.payments GROUP BY order_id HAVING count(*) > 1');
  expect(charges, 'an order charged twice').toEqual([]);
}, 180_000);
