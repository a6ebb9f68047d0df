import ts from 'typescript';
import { callTies } from '../extraction-report/facade-calls.js';
import { calleeName, loadCodebase, type ModuleSources } from '../extraction-report/module-sources.js';
import { byText } from './manifest-facts.js';
import type { CallEdge, ModuleCard } from './module-map-types.js';

/**
 * What only the code tells: the synchronous facade calls between modules (the extraction
 * report's analysis, reused as it is), each facade key's name and file, and the doc comment
 * of each manifest. Loads the TypeScript compiler (about a second): the generator and the
 * staleness test use it; a running process reads the result from `docs/modules/module-map.json`.
 */

export interface CodeCard {
  description: ModuleCard['description'];
  folder: ModuleCard['folder'];
  facadeKey: { key: string; interfaceName: string | null; file: string } | null;
  untracedCalls: ModuleCard['untracedCalls'];
}

export interface CodeCalls {
  modules: Record<string, CodeCard>;
  calls: CallEdge[];
}

/** The doc comment of the statement that calls `defineModule(...)` in the module's `index.ts`. */
function manifestComment(sources: ModuleSources): string | null {
  const index = sources.files.find((file) => file.rel === `${sources.folder}/index.ts`);
  if (!index) return null;
  for (const statement of index.source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const initializer = declaration.initializer;
      if (!initializer || !ts.isCallExpression(initializer) || calleeName(initializer.expression) !== 'defineModule') continue;
      const docs = ts.getJSDocCommentsAndTags(declaration).filter(ts.isJSDoc);
      const text = docs.map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '').join('\n').replace(/\s+/g, ' ').trim();
      return text || null;
    }
  }
  return null;
}

/**
 * @example codeCalls(repoRoot, allModules.map((m) => m.name)).calls // → [{ caller: 'order', callee: 'payment', key: 'PaymentServiceApi', … }, …]
 */
export function codeCalls(root: string, moduleNames: readonly string[]): CodeCalls {
  const codebase = loadCodebase(root, moduleNames);
  const ties = callTies(codebase);
  const modules: Record<string, CodeCard> = {};
  const calls: CallEdge[] = [];
  for (const name of [...moduleNames].sort(byText)) {
    const sources = codebase.modules.get(name)!;
    const tie = ties.get(name)!;
    modules[name] = {
      description: manifestComment(sources),
      folder: sources.folder,
      facadeKey: tie.offers ? { key: tie.offers.name, interfaceName: tie.offers.interfaceName, file: tie.offers.file } : null,
      untracedCalls: tie.unresolved
        .map((call) => ({ file: call.file, expression: call.expression.replace(/\s+/g, ' ') }))
        .sort((a, b) => byText(a.file, b.file) || byText(a.expression, b.expression)),
    };
    for (const out of tie.out) {
      calls.push({
        caller: name, callee: out.module, key: out.key,
        methods: [...new Set(out.methods.map((method) => (method.name.startsWith('(') ? '(untraced)' : method.name)))].sort(byText),
        files: [...new Set(out.methods.flatMap((method) => method.sites.map((site) => site.file)))].sort(byText),
      });
    }
  }
  calls.sort((a, b) => byText(a.caller, b.caller) || byText(a.callee, b.callee) || byText(a.key, b.key));
  return { modules, calls };
}
