import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { forbiddenRules, layoutFolders } from './boundary-rules.js';

const TIMEOUT = 60_000;
const repoRoot = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** Cruises `folders` (relative to `baseDir`) with the boundary rules and that tree's tsconfig.json. */
async function cruiseTree(baseDir: string, folders: readonly string[]): Promise<ICruiseResult> {
  const tsConfigFile = path.join(baseDir, 'tsconfig.json');
  const existing = folders.filter((folder) => existsSync(path.join(baseDir, folder)));
  const { output } = await cruise(
    existing,
    {
      baseDir,
      validate: true,
      ruleSet: { forbidden: forbiddenRules() },
      tsConfig: { fileName: tsConfigFile },
      // Keep `import type` edges: a type-only import of a module's internals is still a boundary breach.
      tsPreCompilationDeps: true,
      doNotFollow: { path: ['(^|/)node_modules/'] },
      exclude: { path: ['(^|/)node_modules/', '(^|/)dist/'] },
    },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  if (typeof output === 'string') throw new Error(`dependency-cruiser returned text instead of a result: ${output.slice(0, 200)}`);
  return output;
}

const describeViolation = (violation: IViolation): string => `${violation.from} → ${violation.to} (${violation.rule.name})`;

/** Every `.ts` file under the given folders of `baseDir`, as repo-relative posix paths. */
async function typeScriptFilesUnder(baseDir: string, folders: readonly string[]): Promise<string[]> {
  const perFolder = await Promise.all(
    folders
      .filter((folder) => existsSync(path.join(baseDir, folder)))
      .map(async (folder) => {
        const entries = await readdir(path.join(baseDir, folder), { recursive: true, withFileTypes: true });
        return entries
          .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
          .map((entry) => path.relative(baseDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
      }),
  );
  return perFolder.flat().sort();
}

describe('module boundaries', () => {
  let real: ICruiseResult;
  let filesOnDisk: string[];

  beforeAll(async () => {
    // Count first: a file added while the cruise runs can then only make the analyser look better, never worse.
    filesOnDisk = await typeScriptFilesUnder(repoRoot, layoutFolders);
    real = await cruiseTree(repoRoot, layoutFolders);
  }, TIMEOUT);

  it('the real code base has no forbidden import', () => {
    const violations = real.summary.violations.map(describeViolation);
    expect(violations, `forbidden imports:\n${violations.join('\n')}`).toEqual([]);
  }, TIMEOUT);

  it('the analyser read the whole code base', () => {
    // A TypeScript version dependency-cruiser does not support makes it read 0 modules without an error.
    const analysed = new Set(real.modules.map((module) => module.source));
    const localTypeScript = [...analysed].filter((source) => source.endsWith('.ts') && layoutFolders.some((folder) => source.startsWith(`${folder}/`)));

    expect(localTypeScript.length).toBeGreaterThanOrEqual(filesOnDisk.length);
    expect(localTypeScript.length).toBeGreaterThanOrEqual(30);
    expect(filesOnDisk.filter((file) => !analysed.has(file)), 'files on disk the analyser did not read').toEqual([]);
    for (const known of ['src/app/platform.ts', 'modules/user/index.ts', 'modules/registry.ts']) {
      expect(analysed, `${known} was not analysed`).toContain(known);
    }
  }, TIMEOUT);

  it('a forbidden import is caught', async () => {
    const fixture = await mkdtemp(path.join(os.tmpdir(), 'module-boundaries-'));
    try {
      const files: Record<string, string> = {
        'package.json': JSON.stringify({ name: 'boundary-fixture', private: true, type: 'module' }),
        'tsconfig.json': JSON.stringify({
          compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, skipLibCheck: true, types: [] },
          include: ['src', 'modules', 'extracted'],
        }),
        'src/kernel.ts': "import { shop } from '../modules/shop/index.js';\nexport const kernel = shop;\n",
        'modules/shop/index.ts': "import { secret } from './internal.js';\nexport * from './contract.js';\nexport const shop = secret;\n",
        'modules/shop/internal.ts': "export const secret = 'shop internals';\n",
        'modules/shop/contract.ts': 'export interface OrderPlaced { readonly orderId: string }\n',
        'modules/cart/index.ts':
          "import { secret } from '../shop/internal.js';\nimport type { OrderPlaced } from '../shop/contract.js';\n" +
          'export const cart = (event: OrderPlaced): string => `${secret}:${event.orderId}`;\n',
        'extracted/cart-service/main.ts':
          "import { secret } from '../../modules/shop/internal.js';\nimport { cart } from '../../modules/cart/index.js';\n" +
          "export const main = (): string => cart({ orderId: secret });\n",
      };
      for (const [file, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(fixture, file)), { recursive: true });
        await writeFile(path.join(fixture, file), content);
      }

      const result = await cruiseTree(fixture, layoutFolders);

      const edges = result.modules.flatMap((module) => module.dependencies.map((dependency) => `${module.source} → ${dependency.resolved}`));
      const allowed = ['modules/cart/index.ts → modules/shop/contract.ts', 'extracted/cart-service/main.ts → modules/cart/index.ts'];
      // The allowed edges were seen (so their absence below means something) …
      expect(edges).toEqual(expect.arrayContaining(allowed));
      // … and exactly the three breaches are reported, each once.
      expect(result.summary.violations.map(describeViolation).sort()).toEqual([
        'extracted/cart-service/main.ts → modules/shop/internal.ts (extracted-boundary)',
        'modules/cart/index.ts → modules/shop/internal.ts (module-boundary)',
        'src/kernel.ts → modules/shop/index.ts (kernel-boundary)',
      ]);
      const reported = result.summary.violations.map((violation) => `${violation.from} → ${violation.to}`);
      for (const edge of allowed) expect(reported).not.toContain(edge);
    } finally {
      await rm(fixture, { recursive: true, force: true });
    }
  }, TIMEOUT);
});
