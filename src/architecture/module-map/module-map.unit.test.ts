import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../../modules/registry.js';
import { migrationTables } from './migration-tables.js';
import { compareWithFolder, generateModuleMapFiles, isCurrent, MODULE_MAP_DIR } from './module-map-files.js';
import { buildModuleMap, REPOSITORY_ROOT } from './module-map.js';
import type { ModuleMap } from './module-map-types.js';
import { mermaidDiagram, MODULE_MAP_JSON } from './render-module-map.js';
import { moduleMapAtStartup } from './runtime-module-map.js';

let map: ModuleMap;
let files: Map<string, string>;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'module-map-'));

beforeAll(async () => {
  map = await buildModuleMap(allModules);
  files = await generateModuleMapFiles(allModules);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docs/modules/', () => {
  it('is what the code says today (otherwise: run npm run docs:modules)', () => {
    const differences = compareWithFolder(path.join(REPOSITORY_ROOT, MODULE_MAP_DIR), files);
    const message = [
      `${MODULE_MAP_DIR}/ is stale: run npm run docs:modules and commit the result.`,
      ...differences.missing.map((name) => `  missing  ${name}`),
      ...differences.changed.map((name) => `  changed  ${name}`),
      ...differences.extra.map((name) => `  extra    ${name} (no module of that name any more)`),
    ].join('\n');
    expect(isCurrent(differences), message).toBe(true);
  });

  it('holds a README, the JSON and one page per module, and renders the same map twice alike', async () => {
    expect([...files.keys()]).toEqual(['README.md', MODULE_MAP_JSON, ...allModules.map((module) => `${module.name}.md`).sort()]);
    expect(await generateModuleMapFiles(allModules)).toEqual(files);
    expect(JSON.parse(files.get(MODULE_MAP_JSON)!)).toEqual(map);
  });
});

describe('the module map', () => {
  it('finds the synchronous calls in the code, with the facade keys the manifests name', () => {
    expect(map.calls.map(({ caller, callee, key, methods }) => ({ caller, callee, key, methods }))).toEqual([
      { caller: 'order', callee: 'payment', key: 'PaymentServiceApi', methods: ['cancelPayment', 'isUsablePaymentMethod'] },
      { caller: 'order', callee: 'product', key: 'ProductCatalogApi', methods: ['commitInventory', 'priceItems', 'releaseInventory', 'reserveInventory'] },
    ]);
    const product = map.modules.find((module) => module.name === 'product')!;
    expect(product.facade).toEqual({
      key: 'ProductCatalogApi', interfaceName: 'ProductCatalog', file: 'modules/product/contract.ts',
      methods: allModules.find((module) => module.name === 'product')!.facade!.key.methods,
    });
  });

  it('takes events, routes, sagas and tables from the manifests and migrations', () => {
    expect(map.events).toContainEqual({ publisher: 'order', consumer: 'payment', event: 'PaymentRequested', version: 1, handler: 'charge-requested-payment', filtered: false });
    const order = map.modules.find((module) => module.name === 'order')!;
    expect(order.routes).toContainEqual(expect.objectContaining({ method: 'POST', path: '/api/v1/orders', access: 'user' }));
    expect(order.sagas.map((saga) => saga.steps.map((step) => step.name))).toEqual([['create-order', 'reserve-inventory', 'request-payment', 'confirm-order']]);
    expect(order.sagas[0]!.steps.find((step) => step.pivot)?.name).toBe('confirm-order');
    expect(order.tables.map((table) => table.name)).toEqual(['idempotency_keys', 'order_events', 'orders']);
    // raw `CREATE TABLE` counts as much as knex's createTable
    expect(map.modules.find((module) => module.name === 'product')!.tables.map((table) => table.name)).toEqual(['products', 'reservation_lines', 'reservations']);
    expect(map.kernelTables).toEqual(['dead_letters', 'inbox', 'outbox', 'sagas']);
    expect(map.modules.every((module) => module.folder === `modules/${module.name}` && module.description)).toBe(true);
  });

  it('draws calls as solid arrows labelled with methods and events as dashed arrows labelled with events', () => {
    const diagram = mermaidDiagram(map);
    expect(diagram.split('\n')[0]).toBe('flowchart LR');
    expect(diagram).toContain('order -->|"commitInventory<br/>priceItems<br/>releaseInventory<br/>reserveInventory"| product');
    expect(diagram).toContain('order -.->|"PaymentRequested"| payment');
    expect(diagram).toMatch(/payment -\.->\|"[^"]*PaymentProcessed[^"]*"\| order/);
    for (const module of allModules) expect(diagram).toContain(`  ${module.name}["<b>${module.name}</b>`);
  });
});

describe('migrationTables', () => {
  it('reads what the migrations\' up leaves behind, in migration order, from TypeScript or compiled JavaScript', () => {
    const folder = path.join(scratch, 'migrations');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const write = (name: string, text: string): void => writeFileSync(path.join(folder, name), text);
    write('001_a.ts', `
      export async function up(knex) {
        await knex.schema.createTable('alpha', (t) => t.uuid('id'));
        await knex.raw(\`CREATE TABLE IF NOT EXISTS "beta" (id int)\`);
        // await knex.schema.createTable('commented_out', …)
        await knex.schema.createTable("gamma", () => {});
      }
      export async function down(knex) { await knex.schema.dropTable('alpha'); await knex.schema.createTable('only_in_down', () => {}); }`);
    write('001_a.js', 'export async function up(knex) { await knex.schema.createTable("from_the_js_twin", () => {}); }');
    write('002_b.js', `
      export async function up(knex) {
        await knex.schema.renameTable('alpha', 'alpha2');
        await knex.raw('ALTER TABLE beta RENAME TO beta2');
        await knex.raw('ALTER TABLE beta2 RENAME COLUMN id TO key');
        await knex.schema.dropTableIfExists('gamma');
      }`);
    write('002_b.js.map', '{}');
    expect(migrationTables(folder)).toEqual([{ name: 'alpha2', migration: '001_a' }, { name: 'beta2', migration: '001_a' }]);
    expect(migrationTables(path.join(scratch, 'nothing-here'))).toEqual([]);
  });
});

describe('moduleMapAtStartup', () => {
  it('computes the manifests\' part and reads the calls from the committed map, which it finds current', () => {
    const started = moduleMapAtStartup(allModules);
    expect(started.codeFacts).toMatchObject({ source: `${MODULE_MAP_DIR}/${MODULE_MAP_JSON}`, current: true });
    expect(started.map).toEqual(map);
  });

  it('says when the committed map no longer matches the manifests', () => {
    const stale = path.join(scratch, 'stale.json');
    const edited = structuredClone(map);
    edited.modules[0]!.routes = [];
    writeFileSync(stale, JSON.stringify(edited));
    const started = moduleMapAtStartup(allModules, { committedMap: stale });
    expect(started.codeFacts.current).toBe(false);
    expect(started.codeFacts.note).toMatch(/npm run docs:modules/);
    expect(started.map.calls).toEqual(map.calls);
    expect(started.map.modules[0]!.routes).toEqual(map.modules[0]!.routes);
  });

  it('starts without the committed map (a built image): calls unknown, everything else there', () => {
    const started = moduleMapAtStartup(allModules, { committedMap: path.join(scratch, 'absent.json') });
    expect(started.codeFacts).toMatchObject({ source: null, current: false });
    expect(started.map.calls).toBeNull();
    expect(started.map.events).toEqual(map.events);
    expect(started.map.modules.find((module) => module.name === 'product')!.facade).toEqual({ key: null, interfaceName: null, file: null, methods: map.modules.find((module) => module.name === 'product')!.facade!.methods });
  });
});
