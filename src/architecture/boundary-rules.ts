import type { IForbiddenRuleType } from 'dependency-cruiser';

/**
 * The import boundaries of the code base, as data.
 *
 * Every path below is a regular expression over a path relative to the repository root
 * (the way dependency-cruiser names files: `modules/user/index.ts`, `node_modules/knex/...`).
 * Edit the table, not the generated rules: {@link forbiddenRules} derives one rule per layer.
 */

/** The platform kernel. */
const KERNEL = '^src/';
/** The one file that knows every module. */
const REGISTRY = '^modules/registry\\.ts$';
/** The public face of any module: its `index.ts` and its `contract.ts`. */
const ANY_MODULE_PUBLIC = '^modules/[^/]+/(index|contract)\\.ts$';
/** The entry point of any module. */
const ANY_MODULE_INDEX = '^modules/[^/]+/index\\.ts$';
/** The runner every extracted service's main.ts calls. */
const EXTRACTED_RUNNER = '^extracted/run-service\\.ts$';
/** A module's test kit (`modules/<name>/testing/`): public to tests only. */
const ANY_MODULE_TEST_KIT = '^modules/[^/]+/testing/';
/** Test files follow the rules of the folder they are in (plus `testsMayAlsoImport`). */
const TEST_FILE = '\\.test\\.ts$';
/** npm packages; node built-ins are let through by dependency type (`core`), not by path. */
const NPM_PACKAGE = '^node_modules/';

/** The folders the layout covers. A file in one of them must belong to some layer. */
export const layoutFolders = ['src', 'modules', 'extracted', 'scripts', 'migrations'] as const;

export interface Layer {
  /**
   * The layer's files: a pattern anchored at the start of the path (a prefix). It may capture
   * ONE group (the module or service name), which `mayImport` reuses as `$1`.
   */
  readonly files: string;
  /** Local files the layer may import (may use `$1`). npm packages and node built-ins are always allowed. */
  readonly mayImport: readonly string[];
  /** Extra files that only the layer's `*.test.ts` files may import. */
  readonly testsMayAlsoImport?: readonly string[];
  /** Why the boundary exists; becomes the rule's comment. */
  readonly why: string;
}

/** Layer → what it may import. The single source of the boundary rules. */
export const boundaryTable = {
  kernel: {
    files: KERNEL,
    mayImport: [KERNEL],
    // The kernel's own tests need some module to host; they reach it through the registry only.
    testsMayAlsoImport: [REGISTRY],
    why: 'src/ is the platform kernel: it knows no business module, no extracted service, no script and no migration.',
  },
  registry: {
    files: '^modules/registry\\.',
    mayImport: [KERNEL, ANY_MODULE_INDEX],
    testsMayAlsoImport: [REGISTRY],
    why: 'modules/registry.ts lists the modules through their index.ts, and nothing else of them.',
  },
  module: {
    files: '^modules/([^/]+)/',
    mayImport: [KERNEL, '^modules/$1/', ANY_MODULE_PUBLIC],
    // A module's end-to-end tests may host the whole system, as the monolith does.
    testsMayAlsoImport: [REGISTRY],
    why: 'A module may use the kernel, its own files, and only index.ts/contract.ts of other modules.',
  },
  extracted: {
    files: '^extracted/([^/]+-service)/',
    mayImport: [KERNEL, '^extracted/$1/', EXTRACTED_RUNNER, ANY_MODULE_PUBLIC, REGISTRY],
    why: 'An extracted service is built from the kernel and the public faces of modules, never their internals.',
  },
  extractedShared: {
    files: '^extracted/[^/]+\\.ts$',
    mayImport: [KERNEL, ANY_MODULE_PUBLIC, REGISTRY],
    // Tests across processes speak to the system as its users do, with the modules' test kits.
    testsMayAlsoImport: [ANY_MODULE_TEST_KIT],
    why: 'What every extracted service shares (its runner) and the tests across services: kernel and public faces only.',
  },
  migrations: {
    files: '^migrations/',
    mayImport: [KERNEL],
    why: 'Migrations are frozen history: they may use the kernel and npm packages only.',
  },
  scripts: {
    files: '^scripts/',
    mayImport: [KERNEL, '^scripts/', REGISTRY, ANY_MODULE_PUBLIC, '^extracted/', '^migrations/'],
    // Their tests drive the running system as its users do, with the modules' test kits.
    testsMayAlsoImport: [ANY_MODULE_TEST_KIT],
    why: 'Scripts compose the application, but module internals stay private to their module.',
  },
} as const satisfies Record<string, Layer>;

export type LayerName = keyof typeof boundaryTable;

/** Wraps a prefix pattern so that it can be followed by more pattern without changing its groups. */
const testsOf = (files: string): string => `(?:${files}).*${TEST_FILE}`;

function layerRules(name: string, layer: Layer): IForbiddenRuleType[] {
  const testExtras = layer.testsMayAlsoImport ?? [];
  const rule = (ruleName: string, from: { path: string; pathNot?: string }, allowed: readonly string[]): IForbiddenRuleType => ({
    name: ruleName,
    severity: 'error',
    comment: layer.why,
    from,
    to: {
      pathNot: [...allowed, NPM_PACKAGE],
      dependencyTypesNot: ['core'],
      // An unresolvable import has no real target; `not-to-unresolvable` reports it.
      couldNotResolve: false,
    },
  });
  if (testExtras.length === 0) return [rule(`${name}-boundary`, { path: layer.files }, layer.mayImport)];
  return [
    rule(`${name}-boundary`, { path: layer.files, pathNot: TEST_FILE }, layer.mayImport),
    rule(`${name}-test-boundary`, { path: testsOf(layer.files) }, [...layer.mayImport, ...testExtras]),
  ];
}

/** Turns the table into dependency-cruiser `forbidden` rules. */
export function forbiddenRules(table: Readonly<Record<string, Layer>> = boundaryTable): IForbiddenRuleType[] {
  const layers = Object.entries(table);
  return [
    ...layers.flatMap(([name, layer]) => layerRules(name, layer)),
    {
      name: 'outside-layout',
      severity: 'error',
      comment: 'Every file with imports must belong to a layer of the table; otherwise nothing would check it.',
      from: {
        path: `^(?:${layoutFolders.join('|')})/`,
        pathNot: layers.map(([, layer]) => `(?:${layer.files})`),
      },
      to: {},
    },
    {
      name: 'no-cycle-between-modules',
      severity: 'error',
      comment: 'Modules must not depend on each other in a circle, not even through their public files.',
      from: { path: boundaryTable.module.files },
      to: { path: '^modules/[^/]+/', pathNot: '^modules/$1/', circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'A relative import that resolves to no file is a typo, and a typo would hide an edge from every rule above.',
      from: {},
      to: { path: '^\\.{1,2}/', couldNotResolve: true },
    },
  ];
}
