import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModuleDefinition } from '../../app/module-definition.js';
import type { CodeCalls } from './code-calls.js';
import { manifestFacts, type ManifestFacts } from './manifest-facts.js';
import { MODULE_MAP_VERSION, type ModuleMap } from './module-map-types.js';

/** The repository root, from this file (`src/architecture/module-map/`). */
export const REPOSITORY_ROOT = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** Puts the manifests' facts and the code's together. Pure. */
export function assembleModuleMap(manifest: ManifestFacts, code: CodeCalls): ModuleMap {
  return {
    mapVersion: MODULE_MAP_VERSION,
    modules: manifest.modules.map((card) => {
      const known = code.modules[card.name];
      const key = known?.facadeKey ?? null;
      return {
        name: card.name,
        description: known?.description ?? null,
        schema: card.schema,
        folder: known?.folder ?? null,
        migrations: card.migrations,
        routePrefixes: card.routePrefixes,
        facade: card.facade && { ...card.facade, key: key?.key ?? null, interfaceName: key?.interfaceName ?? null, file: key?.file ?? null },
        routes: card.routes,
        published: card.published,
        consumed: card.consumed,
        sagas: card.sagas,
        tables: card.tables,
        untracedCalls: known?.untracedCalls ?? [],
      };
    }),
    calls: code.calls,
    events: manifest.events,
    kernelTables: manifest.kernelTables,
  };
}

/** The code's part of a map, read back from it (how a process uses the committed `module-map.json`). */
export function codeCallsOf(map: ModuleMap): CodeCalls {
  return {
    modules: Object.fromEntries(map.modules.map((card) => [card.name, {
      description: card.description,
      folder: card.folder,
      facadeKey: card.facade?.key && card.facade.file ? { key: card.facade.key, interfaceName: card.facade.interfaceName, file: card.facade.file } : null,
      untracedCalls: card.untracedCalls,
    }])),
    calls: map.calls,
  };
}

/**
 * The whole map: the manifests, plus the code analysis (which loads the TypeScript compiler,
 * so it is imported only here).
 * @example const map = await buildModuleMap(allModules)
 */
export async function buildModuleMap(modules: readonly ModuleDefinition[], root: string = REPOSITORY_ROOT): Promise<ModuleMap> {
  const { codeCalls } = await import('./code-calls.js');
  return assembleModuleMap(manifestFacts(modules), codeCalls(root, modules.map((module) => module.name)));
}
