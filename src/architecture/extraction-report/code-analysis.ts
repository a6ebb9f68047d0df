import { importTies } from './code-imports.js';
import { configKeys, configTies } from './config-ties.js';
import { callTies } from './facade-calls.js';
import { loadCodebase } from './module-sources.js';
import type { CodeFacts } from './code-facts.js';

/**
 * Everything the report reads from the modules' source, for every module at once (the calls
 * in of one module are the calls out of the others). Loads the TypeScript compiler: import
 * this module only when the facts are not cached.
 * @example analyseCode(repoRoot, ['user', 'product', 'order'])
 */
export function analyseCode(root: string, moduleNames: readonly string[]): CodeFacts {
  const codebase = loadCodebase(root, moduleNames);
  const calls = callTies(codebase);
  const keys = configKeys(root);
  const modules: CodeFacts['modules'] = {};
  for (const [name, sources] of codebase.modules) {
    modules[name] = {
      folder: sources.folder,
      filesAnalysed: sources.files.length,
      testFilesSkipped: sources.testFilesSkipped,
      calls: calls.get(name)!,
      imports: importTies(codebase, name),
      config: configTies(codebase, name, keys),
    };
  }
  return { modules };
}
