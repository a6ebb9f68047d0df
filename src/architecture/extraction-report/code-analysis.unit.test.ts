import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseCode } from './code-analysis.js';
import { codeFacts, codeFingerprint, type CodeFacts } from './code-facts.js';

/**
 * The code analysis on a small made-up code base written to a temporary folder: every way
 * of holding a facade that the analysis promises to follow, and imports that break the rules.
 */

const files: Record<string, string> = {
  'modules/shop/index.ts': `
    import { defineModule } from '../../src/app/module-definition.js';
    export * from './contract.js';
    export const shopModule = defineModule({ name: 'shop', schema: 'shops', migrations: '', routePrefixes: [], publishes: [], register() {} });`,
  'modules/shop/contract.ts': `
    import { facadeKey } from '../../src/app/module-facades.js';
    export interface Shop { open(command: { id: string }): Promise<void>; close(command: { id: string }): Promise<void>; stock(query: { id: string }): Promise<number> }
    export const ShopApi = facadeKey<Shop>('shop', { open: true, close: true, stock: true });`,
  'modules/shop/repository.ts': 'export const table = "shops";',
  // folder name differs from the module name: found through defineModule
  'modules/billing-folder/index.ts': `
    import { defineModule } from '../../src/app/module-definition.js';
    export const billingModule = defineModule({ name: 'billing', schema: 'bills', migrations: '', routePrefixes: [], publishes: [], register() {} });`,
  'modules/billing-folder/direct.ts': `
    import { ShopApi } from '../shop/index.js';
    export async function run(ctx: any) { await ctx.services.facades.get(ShopApi).open({ id: '1' }); }`,
  'modules/billing-folder/variable.ts': `
    import { ShopApi as Shops } from '../shop/contract.js';
    export async function run(facades: any) {
      const shop = facades.get(Shops);
      await shop.close({ id: '1' });
      return shop['stock']({ id: '1' });
    }`,
  'modules/billing-folder/destructured.ts': `
    import * as shopFace from '../shop/index.js';
    export function run(facades: any) { const { stock } = facades.get(shopFace.ShopApi); return stock; }`,
  'modules/billing-folder/field.ts': `
    import { ShopApi } from '../shop/index.js';
    export class Biller {
      private readonly shop;
      constructor(private readonly deps: { facades: any; config: any }) { this.shop = deps.facades.get(ShopApi); }
      bill() { return this.shop.stock({ id: this.deps.config.BILLING_CURRENCY ?? this.deps.config.JWT_SECRET }); }
    }`,
  'modules/billing-folder/passed-on.ts': `
    import { ShopApi } from '../shop/index.js';
    export function run(facades: any, use: (x: unknown) => void) { use(facades.get(ShopApi)); facades.get(somethingElse()); }
    function somethingElse(): any { return null; }`,
  'modules/billing-folder/bad-imports.ts': `
    import { table } from '../shop/repository.js';
    import type { Shop } from '../shop/index.js';
    import { allModules } from '../registry.js';
    import { z } from 'zod';
    import { readFileSync } from 'fs';
    import type { Config } from '../../src/config/config.js';
    export const used: [string, Shop?, unknown?, unknown?, unknown?] = [table, undefined, allModules, z, readFileSync];
    export type Pick1 = Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>;`,
  'modules/billing-folder/billing.test.ts': `import { ShopApi } from '../shop/index.js'; export const t = (f: any) => f.get(ShopApi).open();`,
  'modules/billing-folder/testing/kit.ts': `import { ShopApi } from '../../shop/index.js'; export const k = (f: any) => f.get(ShopApi).close();`,
};

describe('code analysis', () => {
  let root: string;
  let facts: CodeFacts;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'extraction-report-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    facts = analyseCode(root, ['shop', 'billing']);
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('follows the facade through direct calls, variables, element access, destructuring, namespaces and class fields', () => {
    const billing = facts.modules.billing!;
    expect(billing.folder).toBe('modules/billing-folder');
    expect(billing.calls.out).toHaveLength(1);
    const methods = Object.fromEntries(billing.calls.out[0]!.methods.map((method) => [method.name, method.sites.map((site) => site.file.split('/').at(-1)).sort()]));
    expect(methods).toEqual({
      '(facade passed on; methods not traced)': ['passed-on.ts'],
      close: ['variable.ts'],
      open: ['direct.ts'],
      stock: ['destructured.ts', 'field.ts', 'variable.ts'],
    });
    expect(billing.calls.unresolved).toEqual([expect.objectContaining({ file: 'modules/billing-folder/passed-on.ts', expression: 'facades.get(somethingElse())' })]);
    expect(facts.modules.shop!.calls.in.map((tie) => tie.module)).toEqual(['billing']);
    expect(facts.modules.shop!.calls.offers).toMatchObject({ name: 'ShopApi', interfaceName: 'Shop', methods: ['open', 'close', 'stock'] });
  });

  it('skips tests and test kits', () => {
    expect(facts.modules.billing!.testFilesSkipped).toBe(2);
    expect(facts.modules.billing!.filesAnalysed).toBe(7);
  });

  it('tells public faces, the kernel and packages from imports that block', () => {
    const { imports } = facts.modules.billing!;
    expect(imports.forbidden.map((found) => [found.target, found.reason])).toEqual([
      ['modules/shop/repository.ts', 'internals of the shop module (only its index.ts or contract.ts may be imported)'],
      ['modules/registry.ts', 'the module registry: only scripts and extracted services compose modules'],
    ]);
    expect(imports.publicFaces.map((face) => [face.file, face.names.join(',')])).toEqual([
      ['modules/shop/contract.ts', 'ShopApi'],
      ['modules/shop/index.ts', '*,type Shop,ShopApi'],
    ]);
    expect(imports.kernel.map((entry) => entry.file)).toEqual(['src/app/module-definition.ts', 'src/config/config.ts']);
    expect(imports.packages).toEqual(['node:fs', 'zod']);
  });

  it('finds the configuration keys read, however they are reached', () => {
    const reads = facts.modules.billing!.config.reads.map((read) => `${read.key}:${read.kind}`);
    expect(reads).toEqual(['JWT_SECRET:shared-secret', 'MAIL_FROM:module-setting', 'SMTP_URL:module-setting']);
  });

  it('keeps the facts in a cache until a file changes', async () => {
    const cacheDir = path.join(root, '.cache');
    const first = await codeFacts({ root, moduleNames: ['shop', 'billing'], cacheDir });
    const fingerprint = codeFingerprint(root, ['shop', 'billing']);
    expect(await codeFacts({ root, moduleNames: ['shop', 'billing'], cacheDir })).toEqual(first);
    writeFileSync(path.join(root, 'modules/billing-folder/direct.ts'), `${files['modules/billing-folder/direct.ts']}\n// changed`);
    expect(codeFingerprint(root, ['shop', 'billing'])).not.toBe(fingerprint);
  });
});
