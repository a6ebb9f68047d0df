import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The business modules' source, parsed once with the TypeScript compiler (syntax only: no
 * program, no type checking, so it stays fast) and indexed by file. Every analysis of the
 * extraction report reads from here.
 */

/** One parsed file of a module; `rel` is repository-relative, posix (`modules/order/order-placement.ts`). */
export interface ParsedFile {
  path: string;
  rel: string;
  module: string;
  source: ts.SourceFile;
  /** local name → where it comes from, for every import of the file */
  imports: ReadonlyMap<string, ImportBinding>;
}

export interface ImportBinding {
  specifier: string;
  /** the exported name imported (`*` for a namespace import, `default` for a default import) */
  importedName: string;
  /** repository-relative target file when the specifier is relative; undefined for packages */
  target?: string;
  typeOnly: boolean;
}

export interface ModuleSources {
  name: string;
  /** repository-relative folder, e.g. `modules/order` */
  folder: string;
  /** production files: everything but `*.test.ts` and the module's `testing/` kit */
  files: ParsedFile[];
  testFilesSkipped: number;
}

export interface Codebase {
  root: string;
  modules: ReadonlyMap<string, ModuleSources>;
  /** the module that owns a repository-relative path, if any */
  moduleOf(rel: string): string | undefined;
}

const toPosix = (value: string): string => value.split(path.sep).join('/');

export function relativeTo(root: string, file: string): string {
  return toPosix(path.relative(root, file));
}

export function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

export function parseFile(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/**
 * Resolves a relative import the way NodeNext does for this code base (`./x.js` is `./x.ts`).
 * Returns the existing file, or the most likely one when nothing exists (a broken import).
 */
export function resolveRelativeImport(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = /\.(c|m)?js$/.test(base)
    ? [base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts').replace(/\.cjs$/, '.cts'), base.replace(/\.js$/, '.tsx'), base]
    : [base, `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile()) ?? candidates[0]!;
}

export const isRelativeSpecifier = (specifier: string): boolean => specifier.startsWith('.') || specifier.startsWith('/');

function importBindings(root: string, file: string, source: ts.SourceFile): Map<string, ImportBinding> {
  const bindings = new Map<string, ImportBinding>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const specifier = statement.moduleSpecifier.text;
    const target = isRelativeSpecifier(specifier) ? relativeTo(root, resolveRelativeImport(file, specifier)) : undefined;
    const clause = statement.importClause;
    if (!clause) continue;
    const clauseTypeOnly = clause.isTypeOnly;
    const add = (local: string, importedName: string, typeOnly: boolean): void => {
      bindings.set(local, { specifier, importedName, typeOnly, ...(target ? { target } : {}) });
    };
    if (clause.name) add(clause.name.text, 'default', clauseTypeOnly);
    const named = clause.namedBindings;
    if (named && ts.isNamespaceImport(named)) add(named.name.text, '*', clauseTypeOnly);
    if (named && ts.isNamedImports(named)) {
      for (const element of named.elements) {
        add(element.name.text, (element.propertyName ?? element.name).text, clauseTypeOnly || element.isTypeOnly);
      }
    }
  }
  return bindings;
}

function typeScriptFilesUnder(folder: string): string[] {
  const entries = readdirSync(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .sort();
}

const isTestFile = (relInModule: string): boolean => relInModule.endsWith('.test.ts') || relInModule.split('/').includes('testing');

/** The `name` given to `defineModule({...})` in an `index.ts`, read from its syntax. */
export function declaredModuleName(source: ts.SourceFile): string | undefined {
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && calleeName(node.expression) === 'defineModule') {
      const [argument] = node.arguments;
      if (argument && ts.isObjectLiteralExpression(argument)) {
        for (const property of argument.properties) {
          if (ts.isPropertyAssignment(property) && propertyNameText(property.name) === 'name' && ts.isStringLiteralLike(property.initializer)) {
            found = property.initializer.text;
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `foo` for `foo(...)` and `x.y.foo(...)`. */
export function calleeName(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  return undefined;
}

export function propertyNameText(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/**
 * Finds each module's folder (the `modules/<folder>/index.ts` whose `defineModule` carries its
 * name; `modules/<name>/` when none does) and parses its files.
 * @example loadCodebase(repoRoot, allModules.map((m) => m.name))
 */
export function loadCodebase(root: string, moduleNames: readonly string[]): Codebase {
  const modulesDir = path.join(root, 'modules');
  const folderByName = new Map<string, string>();
  if (existsSync(modulesDir)) {
    for (const entry of readdirSync(modulesDir, { withFileTypes: true })) {
      const index = path.join(modulesDir, entry.name, 'index.ts');
      if (!entry.isDirectory() || !existsSync(index)) continue;
      const name = declaredModuleName(parseFile(index));
      if (name && !folderByName.has(name)) folderByName.set(name, path.join(modulesDir, entry.name));
    }
  }
  const modules = new Map<string, ModuleSources>();
  for (const name of moduleNames) {
    const folder = folderByName.get(name) ?? path.join(modulesDir, name);
    const relFolder = relativeTo(root, folder);
    const files: ParsedFile[] = [];
    let testFilesSkipped = 0;
    for (const file of existsSync(folder) ? typeScriptFilesUnder(folder) : []) {
      const rel = relativeTo(root, file);
      if (isTestFile(rel.slice(relFolder.length + 1))) {
        testFilesSkipped += 1;
        continue;
      }
      const source = parseFile(file);
      files.push({ path: file, rel, module: name, source, imports: importBindings(root, file, source) });
    }
    modules.set(name, { name, folder: relFolder, files, testFilesSkipped });
  }
  const folders = [...modules.values()].map((module) => ({ name: module.name, prefix: `${module.folder}/` }));
  return {
    root,
    modules,
    moduleOf: (rel) => folders.find((module) => rel.startsWith(module.prefix))?.name,
  };
}
