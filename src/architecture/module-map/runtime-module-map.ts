import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ModuleDefinition } from '../../app/module-definition.js';
import { manifestFacts } from './manifest-facts.js';
import { MODULE_MAP_DIR } from './module-map-files.js';
import { assembleModuleMap, codeCallsOf, REPOSITORY_ROOT } from './module-map.js';
import { MODULE_MAP_VERSION, type CallEdge, type ModuleMap } from './module-map-types.js';
import { MODULE_MAP_JSON } from './render-module-map.js';

/**
 * The module map a running process serves (`GET /admin/modules`), computed once at start-up.
 *
 * Everything the manifests say (facades, routes, events, sagas, tables) is computed here from
 * the catalogue: cheap, and always true of the code this process runs. The synchronous calls
 * are not: finding them means loading the TypeScript compiler (a devDependency) over the
 * sources (not in a built image) for about two seconds. So they are read from the committed
 * `docs/modules/module-map.json`, which the staleness test keeps current with the code, and
 * the answer says where they came from and whether that file agrees with this process's
 * manifests. Without the file (a built image does not copy `docs/`) the calls are `null`.
 */

export interface CodeFactsSource {
  /** the file the code's facts were read from (repository-relative), or null when none could be read */
  source: string | null;
  /** the file agrees with this process's manifests, so its calls are those of this code */
  current: boolean;
  note: string;
}

export interface StartupModuleMap {
  map: Omit<ModuleMap, 'calls'> & { calls: CallEdge[] | null };
  codeFacts: CodeFactsSource;
}

export interface StartupModuleMapOptions {
  /** the committed map to read the code's facts from (default: `docs/modules/module-map.json` above this file, in the repository or beside `dist/`) */
  committedMap?: string;
}

const RELATIVE_FILE = `${MODULE_MAP_DIR}/${MODULE_MAP_JSON}`;

function defaultCandidates(): string[] {
  // src/architecture/module-map → the repository; dist/src/architecture/module-map → dist/, then its parent
  return [path.join(REPOSITORY_ROOT, RELATIVE_FILE), path.join(REPOSITORY_ROOT, '..', RELATIVE_FILE)];
}

function readCommitted(file: string): ModuleMap | string {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ModuleMap>;
    if (parsed.mapVersion !== MODULE_MAP_VERSION || !Array.isArray(parsed.modules) || !Array.isArray(parsed.calls)) {
      return `${RELATIVE_FILE} has another format (mapVersion ${String(parsed.mapVersion)}, expected ${MODULE_MAP_VERSION}); run npm run docs:modules`;
    }
    return parsed as ModuleMap;
  } catch (error) {
    return `${RELATIVE_FILE} could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Never throws for a missing or unreadable committed map: the process starts, and says so.
 * @example const modules = moduleMapAtStartup(catalog) // then moduleAdminRoutes(api, { map: modules, … })
 */
export function moduleMapAtStartup(catalog: readonly ModuleDefinition[], options: StartupModuleMapOptions = {}): StartupModuleMap {
  const manifest = manifestFacts(catalog);
  const empty = { modules: {}, calls: [] };
  const file = options.committedMap ?? defaultCandidates().find((candidate) => existsSync(candidate));
  const committed = file ? readCommitted(file) : `${RELATIVE_FILE} is not deployed with this process; synchronous calls are in the repository's ${MODULE_MAP_DIR}/`;
  if (typeof committed === 'string') {
    const map = assembleModuleMap(manifest, empty);
    return { map: { ...map, calls: null }, codeFacts: { source: null, current: false, note: committed } };
  }
  const names = new Set(catalog.map((module) => module.name));
  const code = codeCallsOf(committed);
  const map = assembleModuleMap(manifest, { ...code, calls: code.calls.filter((call) => names.has(call.caller) && names.has(call.callee)) });
  const current = isDeepStrictEqual(map, committed);
  return {
    map,
    codeFacts: {
      source: RELATIVE_FILE,
      current,
      note: current
        ? `synchronous calls, facade keys and descriptions from ${RELATIVE_FILE}, which matches this process's manifests`
        : `${RELATIVE_FILE} does not match this process's manifests (routes, events, sagas, tables or facades changed since it was generated): its synchronous calls may be out of date; run npm run docs:modules`,
    },
  };
}
