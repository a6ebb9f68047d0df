import { builtinModules } from 'node:module';
import ts from 'typescript';
import { isRelativeSpecifier, lineOf, relativeTo, resolveRelativeImport, type Codebase, type ParsedFile } from './module-sources.js';
import type { ForbiddenImport, ImportTies, KernelImport, PublicFaceImport } from './report-types.js';

/**
 * What a module's production code imports, sorted by what it means for extraction:
 * the kernel (`src/`, fine: the service runs the same kernel), other modules' public faces
 * (`index.ts`/`contract.ts`, fine: contracts ship with the service), npm packages, and
 * everything else (another module's internals, the registry, scripts, extracted services,
 * migrations): blockers.
 */

interface ImportSite {
  specifier: string;
  names: string[];
  /** the names imported as types only */
  typeNames: string[];
  typeOnly: boolean;
  line: number;
}

/** Every static import, re-export, `import('…')` and `import('…').Type` of a file. */
export function importSites(source: ts.SourceFile): ImportSite[] {
  const sites: ImportSite[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const elements = named && ts.isNamedImports(named) ? named.elements : [];
      const names = [
        ...(clause?.name ? ['default'] : []),
        ...(named && ts.isNamespaceImport(named) ? ['*'] : []),
        ...elements.map((element) => (element.propertyName ?? element.name).text),
      ];
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && elements.length > 0 && elements.every((element) => element.isTypeOnly)));
      const typeNames = clause?.isTypeOnly
        ? names
        : elements.filter((element) => element.isTypeOnly).map((element) => (element.propertyName ?? element.name).text);
      sites.push({ specifier: node.moduleSpecifier.text, names, typeNames, typeOnly, line: lineOf(source, node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const names = node.exportClause && ts.isNamedExports(node.exportClause)
        ? node.exportClause.elements.map((element) => (element.propertyName ?? element.name).text)
        : ['*'];
      sites.push({ specifier: node.moduleSpecifier.text, names, typeNames: node.isTypeOnly ? names : [], typeOnly: node.isTypeOnly, line: lineOf(source, node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) sites.push({ specifier: argument.text, names: ['*'], typeNames: [], typeOnly: false, line: lineOf(source, node) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      const name = node.qualifier?.getText(source) ?? '*';
      sites.push({ specifier: node.argument.literal.text, names: [name], typeNames: [name], typeOnly: true, line: lineOf(source, node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

const BUILTINS = new Set(builtinModules);

function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const [first, second] = specifier.split('/');
  if (first!.startsWith('@') && second) return `${first}/${second}`;
  return BUILTINS.has(first!) ? `node:${first}` : first!;
}

const PUBLIC_FACE = /^modules\/([^/]+)\/(index|contract)\.ts$/;

function forbiddenReason(target: string, codebase: Codebase): string {
  if (target === 'modules/registry.ts') return 'the module registry: only scripts and extracted services compose modules';
  const owner = codebase.moduleOf(target);
  if (owner) return `internals of the ${owner} module (only its index.ts or contract.ts may be imported)`;
  if (target.startsWith('modules/')) return 'a file of another module that is not its public face';
  for (const [folder, what] of [['scripts/', 'a script'], ['extracted/', 'an extracted service'], ['migrations/', 'a migration']] as const) {
    if (target.startsWith(folder)) return `${what}: modules may not depend on it`;
  }
  return 'a file outside the module, the kernel and the public faces of modules';
}

/**
 * @example importTies(codebase, 'order').forbidden // → [] when the boundaries hold
 */
export function importTies(codebase: Codebase, moduleName: string): ImportTies {
  const module = codebase.modules.get(moduleName);
  const kernel = new Map<string, KernelImport>();
  type FaceEntry = Omit<PublicFaceImport, 'names' | 'typeOnly'> & { names: Map<string, boolean>; allTypeOnly: boolean };
  const faces = new Map<string, FaceEntry>();
  const forbidden: ForbiddenImport[] = [];
  const packages = new Set<string>();
  const ownPrefix = `${module?.folder ?? `modules/${moduleName}`}/`;

  for (const file of module?.files ?? ([] as ParsedFile[])) {
    for (const site of importSites(file.source)) {
      if (!isRelativeSpecifier(site.specifier)) {
        packages.add(packageName(site.specifier));
        continue;
      }
      const target = relativeTo(codebase.root, resolveRelativeImport(file.path, site.specifier));
      if (target.startsWith(ownPrefix)) continue;
      if (target.startsWith('src/')) {
        const entry = kernel.get(target) ?? { file: target, importedBy: [] };
        if (!entry.importedBy.includes(file.rel)) entry.importedBy.push(file.rel);
        kernel.set(target, entry);
        continue;
      }
      const face = PUBLIC_FACE.exec(target);
      if (face) {
        const entry: FaceEntry = faces.get(target) ?? { module: codebase.moduleOf(target) ?? face[1]!, file: target, names: new Map(), allTypeOnly: true, importedBy: [] };
        // a name counts as a type import only if every import of it is one
        for (const name of site.names) entry.names.set(name, (entry.names.get(name) ?? true) && site.typeNames.includes(name));
        if (!entry.importedBy.includes(file.rel)) entry.importedBy.push(file.rel);
        entry.allTypeOnly &&= site.typeOnly;
        faces.set(target, entry);
        continue;
      }
      forbidden.push({ file: file.rel, line: site.line, specifier: site.specifier, target, typeOnly: site.typeOnly, reason: forbiddenReason(target, codebase) });
    }
  }
  return {
    kernel: [...kernel.values()].sort((a, b) => a.file.localeCompare(b.file)),
    publicFaces: [...faces.values()]
      .map(({ allTypeOnly, names, ...face }): PublicFaceImport => ({
        ...face,
        typeOnly: allTypeOnly,
        names: [...names.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, typeOnly]) => (typeOnly && !allTypeOnly ? `type ${name}` : name)),
      }))
      .sort((a, b) => a.file.localeCompare(b.file)),
    forbidden,
    packages: [...packages].sort(),
  };
}
