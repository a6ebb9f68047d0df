import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allModules } from '../../../modules/registry.js';
import { loadConfig } from '../../config/config.js';
import { withDatabase } from '../../db/database-url.js';
import { cloneDatabase, dropDatabase } from '../../db/provision.js';
import { testDatabaseName } from '../../testing/test-database.js';
import { buildExtractionReport, UnknownModuleError } from './extraction-report.js';
import type { ExtractionReport, FacadeTie } from './report-types.js';

/** The report on the real modules: the code part from their source, the database part from a private clone. */

const methodsOf = (ties: readonly FacadeTie[], module: string): string[] =>
  ties.find((tie) => tie.module === module)?.methods.map((method) => method.name) ?? [];

function codeOnly(module: string): Promise<ExtractionReport> {
  return buildExtractionReport({ modules: allModules, module, config: loadConfig({ NODE_ENV: 'test' }), skipDatabase: true });
}

describe('extraction report: the code', () => {
  let order: ExtractionReport;
  let product: ExtractionReport;
  let notification: ExtractionReport;

  beforeAll(async () => {
    [order, product, notification] = await Promise.all([codeOnly('order'), codeOnly('product'), codeOnly('notification')]);
  });

  it('lists the facades order calls, with their methods and where', () => {
    expect(methodsOf(order.calls.out, 'product')).toEqual(['commitInventory', 'priceItems', 'releaseInventory', 'reserveInventory']);
    expect(methodsOf(order.calls.out, 'payment')).toEqual(['cancelPayment', 'isUsablePaymentMethod']);
    expect(order.calls.out.map((tie) => tie.module)).toEqual(['payment', 'product']);
    const product = order.calls.out.find((tie) => tie.module === 'product')!;
    expect(product.key).toBe('ProductCatalogApi');
    const reserve = product.methods.find((method) => method.name === 'reserveInventory')!;
    expect(reserve.sites).toEqual([{ file: 'modules/order/saga/reserve-inventory.ts', line: expect.any(Number) }]);
    const cancel = order.calls.out.find((tie) => tie.module === 'payment')!.methods.find((method) => method.name === 'cancelPayment')!;
    expect(cancel.sites.map((site) => site.file).sort()).toEqual(['modules/order/order-cancellation.ts', 'modules/order/saga/request-payment.ts']);
    expect(order.calls.unresolved).toEqual([]);
    expect(order.calls.in).toEqual([]);
  });

  it('lists who calls product, and what', () => {
    expect(product.calls.in.map((tie) => tie.module)).toEqual(['order']);
    expect(methodsOf(product.calls.in, 'order')).toEqual(['commitInventory', 'priceItems', 'releaseInventory', 'reserveInventory']);
    expect(product.calls.offers).toMatchObject({ name: 'ProductCatalogApi', module: 'product', file: 'modules/product/contract.ts' });
    expect(product.calls.out).toEqual([]);
    expect(product.verdict.notes.some((note) => note.kind === 'call-in' && note.text.includes('product.reserveInventory'))).toBe(true);
  });

  it('lists the events order publishes and consumes, with the modules at the other end', () => {
    const requested = order.events.published.find((event) => event.type === 'PaymentRequested');
    expect(requested?.consumers.map((consumer) => consumer.module)).toEqual(['payment']);
    const processed = order.events.consumed.find((event) => event.type === 'PaymentProcessed');
    expect(processed?.publishers).toEqual([{ module: 'payment', version: 1 }]);
    expect(order.events.published.map((event) => event.type)).toEqual(expect.arrayContaining(['OrderCreated', 'OrderStatusChanged']));
    const consumedByNotification = notification.events.consumed.map((event) => `${event.type}←${event.publishers.map((p) => p.module).join(',')}`);
    expect(consumedByNotification).toEqual(expect.arrayContaining(['UserRegistered←user', 'OrderStatusChanged←order']));
  });

  it('finds imports only of the kernel and of public faces, and the configuration each module reads', () => {
    for (const report of [order, product, notification]) expect(report.imports.forbidden).toEqual([]);
    expect(order.imports.publicFaces.map((face) => face.file)).toEqual(['modules/payment/index.ts', 'modules/product/index.ts']);
    expect(order.imports.kernel.map((entry) => entry.file)).toContain('src/app/module-definition.ts');
    expect(order.config.reads).toEqual([expect.objectContaining({ key: 'ORDER_PAYMENT_DEADLINE_MS', kind: 'module-setting' })]);
    expect(notification.config.reads.map((read) => read.key)).toEqual(expect.arrayContaining(['MAIL_FROM', 'SMTP_URL']));
    expect(order.config.everyProcessNeeds.map((need) => need.key)).toEqual(expect.arrayContaining(['JWT_SECRET', 'INTERNAL_TOKEN_SECRET', 'DATABASE_ROLE_SECRET']));
    expect(order.verdict.status).toBe('unknown'); // the database part was skipped
  });

  it('finds a module\'s own secret', async () => {
    const payment = await codeOnly('payment');
    expect(payment.config.reads.find((read) => read.key === 'PAYMENT_ENCRYPTION_KEY')?.kind).toBe('module-secret');
  });

  it('refuses an unknown module, naming the known ones', async () => {
    await expect(codeOnly('nope')).rejects.toThrow(UnknownModuleError);
    await expect(codeOnly('nope')).rejects.toThrow('unknown module "nope"; known modules: user, product, payment, order, notification');
  });
});

describe('extraction report: the database', () => {
  const serverUrl = inject('adminDatabaseUrl');
  const database = testDatabaseName(inject('testRunPid'), 'db');
  const url = withDatabase(serverUrl, database);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url });
  let admin: pg.Client;

  const report = (module: string): Promise<ExtractionReport> => buildExtractionReport({ modules: allModules, module, config });

  beforeAll(async () => {
    await cloneDatabase(serverUrl, inject('templateDatabase'), database);
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await dropDatabase(serverUrl, database);
  });

  it('finds nothing that ties a freshly migrated schema to another', async () => {
    const order = await report('order');
    expect(order.database).toMatchObject({ status: 'checked', schema: 'orders', role: 'cm_orders', foreignKeys: [], dependencies: [], privileges: [] });
    expect(order.verdict.status).toBe('ready');
    expect(order.verdict.blockers).toEqual([]);
    expect(order.verdict.notes).toContainEqual({
      kind: 'call-out',
      text: expect.stringContaining('order calls product.commitInventory, product.priceItems, product.releaseInventory and product.reserveInventory'),
    });
  });

  it('turns a foreign key from orders to products into a blocker of both modules, naming the constraint', async () => {
    await admin.query('ALTER TABLE orders.orders ADD COLUMN product_id uuid');
    await admin.query('ALTER TABLE orders.orders ADD CONSTRAINT orders_product_fk FOREIGN KEY (product_id) REFERENCES products.products (id)');

    const order = await report('order');
    expect(order.verdict.status).toBe('not-ready');
    expect(order.database.foreignKeys).toEqual([expect.objectContaining({
      name: 'orders_product_fk', direction: 'outgoing', fromSchema: 'orders', fromTable: 'orders', toSchema: 'products', toTable: 'products',
    })]);
    expect(order.verdict.blockers).toEqual([expect.objectContaining({ kind: 'foreign-key', what: expect.stringContaining('orders_product_fk') })]);
    expect(order.verdict.blockers[0]!.fix).toContain('ALTER TABLE orders.orders DROP CONSTRAINT orders_product_fk');

    const product = await report('product');
    expect(product.verdict.status).toBe('not-ready');
    expect(product.database.foreignKeys).toEqual([expect.objectContaining({ name: 'orders_product_fk', direction: 'incoming' })]);
    expect(product.verdict.blockers[0]!.fix).toContain('the order module');

    await admin.query('ALTER TABLE orders.orders DROP CONSTRAINT orders_product_fk');
    expect((await report('order')).verdict.status).toBe('ready');
  });

  it('turns views, grants and function bodies across schemas into blockers', async () => {
    await admin.query('CREATE VIEW orders.order_products AS SELECT o.id, p.name FROM orders.orders o JOIN products.products p ON p.id = o.product_id');
    await admin.query('GRANT USAGE ON SCHEMA products TO cm_orders');
    await admin.query('GRANT SELECT ON products.products TO cm_orders');
    await admin.query('GRANT SELECT (status) ON orders.orders TO cm_notifications');
    await admin.query(`CREATE FUNCTION orders.product_name(id uuid) RETURNS text LANGUAGE plpgsql AS $$
      BEGIN RETURN (SELECT name FROM products.products p WHERE p.id = product_name.id); END $$`);

    const order = await report('order');
    expect(order.database.dependencies).toContainEqual(expect.objectContaining({
      direction: 'outgoing', dependent: 'view orders.order_products', referenced: 'table products.products',
    }));
    expect(order.database.functionReferences).toEqual([expect.objectContaining({ function: 'orders.product_name(uuid)', mentions: 'products' })]);
    expect(order.database.privileges.map((privilege) => privilege.revoke).sort()).toEqual([
      'REVOKE SELECT (status) ON TABLE orders.orders FROM cm_notifications',
      'REVOKE SELECT ON TABLE products.products FROM cm_orders',
      'REVOKE USAGE ON SCHEMA products FROM cm_orders',
    ]);
    expect(order.verdict.blockers.map((blocker) => blocker.kind).sort()).toEqual([
      'database-dependency', 'function-reference', 'privilege', 'privilege', 'privilege',
    ]);
    // created by the superuser: not a blocker, but it would not move with the schema as it is
    expect(order.database.ownership).toContainEqual(expect.objectContaining({ object: 'orders.order_products', owner: 'postgres', blocking: false }));

    const notification = await report('notification');
    expect(notification.database.privileges).toEqual([expect.objectContaining({ direction: 'outgoing', object: 'orders.orders.status' })]);
    expect(notification.verdict.status).toBe('not-ready');
  });

  it('says when the schema or the database is missing, and still reports the code', async () => {
    await admin.query('DROP SCHEMA notifications CASCADE');
    const noSchema = await report('notification');
    expect(noSchema.database.status).toBe('no-schema');
    expect(noSchema.database.message).toContain('schema "notifications" does not exist');
    expect(noSchema.verdict.status).toBe('unknown');
    expect(noSchema.events.consumed.length).toBeGreaterThan(0);

    const missing = await buildExtractionReport({
      modules: allModules, module: 'order', config: loadConfig({ NODE_ENV: 'test', DATABASE_URL: withDatabase(serverUrl, `${database}_missing`) }),
    });
    expect(missing.database.status).toBe('unreachable');
    expect(missing.database.message).toMatch(/^database "cm_test_.*_missing" does not exist/);
    expect(missing.verdict.status).toBe('unknown');
    expect(missing.calls.out.length).toBe(2);

    const down = await buildExtractionReport({
      modules: allModules, module: 'order', config: loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/commerce' }),
    });
    expect(down.database).toMatchObject({ status: 'unreachable', message: expect.stringContaining('nothing answers at 127.0.0.1:1') });
    expect(down.verdict.headline).toContain('unknown for the database part');
  });
});
