import ts from 'typescript';
import { calleeName, lineOf, propertyNameText, type Codebase, type ParsedFile } from './module-sources.js';
import type { CallTies, FacadeCall, FacadeKeyDeclaration, FacadeTie, UnresolvedFacadeCall } from './report-types.js';

/**
 * Synchronous ties between modules, read from the syntax of their code:
 *  1. every `facadeKey<Facade>('<module>', …)` declaration (normally in a contract.ts);
 *  2. every `<anything>.get(Key)` whose argument traces back, through the file's imports, to
 *     such a declaration — and the methods called on what it returns, directly
 *     (`facades.get(K).m()`), through a variable (`const c = facades.get(K); c.m()`), a
 *     destructuring (`const { m } = facades.get(K)`) or a class field (`this.c = …; this.c.m()`).
 */

function unwrap(node: ts.Node): ts.Node {
  let current = node;
  while (
    current.parent &&
    (ts.isParenthesizedExpression(current.parent) || ts.isNonNullExpression(current.parent) ||
      ts.isAsExpression(current.parent) || ts.isSatisfiesExpression(current.parent))
  ) current = current.parent;
  return current;
}

function stripExpression(node: ts.Expression): ts.Expression {
  let current = node;
  while (ts.isParenthesizedExpression(current) || ts.isNonNullExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current)) {
    current = current.expression;
  }
  return current;
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** Method names of an interface (or type literal) declared in the same file. */
function interfaceMethods(source: ts.SourceFile, name: string): string[] | undefined {
  for (const statement of source.statements) {
    const members = ts.isInterfaceDeclaration(statement) && statement.name.text === name
      ? statement.members
      : ts.isTypeAliasDeclaration(statement) && statement.name.text === name && ts.isTypeLiteralNode(statement.type)
        ? statement.type.members
        : undefined;
    if (!members) continue;
    return members.flatMap((member) => (member.name ? [propertyNameText(member.name)].filter((n): n is string => !!n) : []));
  }
  return undefined;
}

/** Every facade key declared in the modules' production code. */
export function facadeKeyDeclarations(codebase: Codebase): FacadeKeyDeclaration[] {
  const declarations: FacadeKeyDeclaration[] = [];
  for (const module of codebase.modules.values()) {
    for (const file of module.files) {
      for (const statement of file.source.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        for (const declaration of statement.declarationList.declarations) {
          const initializer = declaration.initializer && stripExpression(declaration.initializer);
          if (!initializer || !ts.isCallExpression(initializer) || calleeName(initializer.expression) !== 'facadeKey') continue;
          if (!ts.isIdentifier(declaration.name)) continue;
          const [moduleArgument, methodsArgument] = initializer.arguments;
          if (!moduleArgument || !ts.isStringLiteralLike(moduleArgument)) continue;
          const typeArgument = initializer.typeArguments?.[0];
          const interfaceName = typeArgument && ts.isTypeReferenceNode(typeArgument) ? typeArgument.typeName.getText(file.source) : null;
          const listed = methodsArgument && ts.isObjectLiteralExpression(methodsArgument)
            ? methodsArgument.properties.flatMap((p) => (p.name ? [propertyNameText(p.name)].filter((n): n is string => !!n) : []))
            : undefined;
          const methods = (interfaceName ? interfaceMethods(file.source, interfaceName) : undefined) ?? listed ?? [];
          declarations.push({
            name: declaration.name.text, module: moduleArgument.text, interfaceName, methods,
            file: file.rel, line: lineOf(file.source, declaration),
          });
        }
      }
    }
  }
  return declarations;
}

class KeyResolver {
  private readonly byModuleAndName = new Map<string, FacadeKeyDeclaration>();
  private readonly byName = new Map<string, FacadeKeyDeclaration[]>();

  constructor(private readonly codebase: Codebase, declarations: readonly FacadeKeyDeclaration[]) {
    for (const declaration of declarations) {
      const owner = codebase.moduleOf(declaration.file) ?? '';
      this.byModuleAndName.set(`${owner}\u0000${declaration.name}`, declaration);
      this.byName.set(declaration.name, [...(this.byName.get(declaration.name) ?? []), declaration]);
    }
  }

  private find(owner: string | undefined, name: string): FacadeKeyDeclaration | undefined {
    const exact = owner !== undefined ? this.byModuleAndName.get(`${owner}\u0000${name}`) : undefined;
    if (exact) return exact;
    const candidates = this.byName.get(name) ?? [];
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /** The declaration an expression used as a key refers to, through the file's imports. */
  resolve(file: ParsedFile, expression: ts.Expression): FacadeKeyDeclaration | undefined {
    const key = stripExpression(expression);
    if (ts.isIdentifier(key)) {
      const binding = file.imports.get(key.text);
      if (!binding) return this.find(file.module, key.text);
      if (binding.importedName === '*' || binding.importedName === 'default') return undefined;
      const owner = binding.target ? this.codebase.moduleOf(binding.target) : undefined;
      return owner ? this.find(owner, binding.importedName) : undefined;
    }
    if (ts.isPropertyAccessExpression(key) && ts.isIdentifier(key.expression)) {
      const binding = file.imports.get(key.expression.text);
      if (binding?.importedName !== '*' || !binding.target) return undefined;
      return this.find(this.codebase.moduleOf(binding.target), key.name.text);
    }
    return undefined;
  }
}

/** Methods called on `name` (a variable holding a facade) inside `scope`. */
function methodsOnIdentifier(scope: ts.Node, name: string, declaration: ts.Node, source: ts.SourceFile): { method: string; line: number }[] {
  const found: { method: string; line: number }[] = [];
  walk(scope, (node) => {
    if (node === declaration) return;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(stripExpression(node.expression)) && (stripExpression(node.expression) as ts.Identifier).text === name) {
      found.push({ method: node.name.text, line: lineOf(source, node.name) });
    }
    if (ts.isElementAccessExpression(node) && ts.isIdentifier(stripExpression(node.expression)) && (stripExpression(node.expression) as ts.Identifier).text === name && ts.isStringLiteralLike(node.argumentExpression)) {
      found.push({ method: node.argumentExpression.text, line: lineOf(source, node) });
    }
  });
  return found;
}

/** Methods called on `this.<field>` inside a class. */
function methodsOnField(classNode: ts.Node, field: string, source: ts.SourceFile): { method: string; line: number }[] {
  const found: { method: string; line: number }[] = [];
  walk(classNode, (node) => {
    if (!ts.isPropertyAccessExpression(node)) return;
    const holder = stripExpression(node.expression);
    if (ts.isPropertyAccessExpression(holder) && holder.name.text === field && holder.expression.kind === ts.SyntaxKind.ThisKeyword) {
      found.push({ method: node.name.text, line: lineOf(source, node.name) });
    }
  });
  return found;
}

function enclosing(node: ts.Node, test: (node: ts.Node) => boolean): ts.Node | undefined {
  let current = node.parent;
  while (current && !test(current)) current = current.parent;
  return current;
}

const isScope = (node: ts.Node): boolean => ts.isBlock(node) || ts.isSourceFile(node) || ts.isFunctionLike(node) || ts.isModuleBlock(node);

/** What is done with the value of one `….get(Key)` call: the methods called on it, or null (passed on, untraced). */
function methodsUsed(getCall: ts.CallExpression, source: ts.SourceFile): { method: string | null; line: number }[] {
  const node = unwrap(getCall);
  const parent = node.parent;
  const here = lineOf(source, getCall);
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node) return [{ method: parent.name.text, line: lineOf(source, parent.name) }];
  if (ts.isElementAccessExpression(parent) && parent.expression === node && ts.isStringLiteralLike(parent.argumentExpression)) {
    return [{ method: parent.argumentExpression.text, line: here }];
  }
  let found: { method: string; line: number }[] = [];
  if (ts.isVariableDeclaration(parent) && parent.initializer === node) {
    if (ts.isIdentifier(parent.name)) {
      const scope = enclosing(parent, isScope) ?? source;
      found = methodsOnIdentifier(scope, parent.name.text, parent.name, source);
    } else if (ts.isObjectBindingPattern(parent.name)) {
      found = parent.name.elements.flatMap((element) => {
        const name = element.propertyName ? propertyNameText(element.propertyName) : ts.isIdentifier(element.name) ? element.name.text : undefined;
        return name ? [{ method: name, line: lineOf(source, element) }] : [];
      });
    }
  } else if (ts.isPropertyDeclaration(parent) && parent.initializer === node && parent.name) {
    const field = propertyNameText(parent.name);
    const classNode = enclosing(parent, ts.isClassLike);
    if (field && classNode) found = methodsOnField(classNode, field, source);
  } else if (ts.isBinaryExpression(parent) && parent.right === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const target = stripExpression(parent.left);
    if (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const classNode = enclosing(parent, ts.isClassLike);
      if (classNode) found = methodsOnField(classNode, target.name.text, source);
    } else if (ts.isIdentifier(target)) {
      const scope = enclosing(parent, ts.isFunctionLike) ?? source;
      found = methodsOnIdentifier(scope, target.text, target, source);
    }
  }
  return found.length > 0 ? found : [{ method: null, line: here }];
}

/** Every facade call in the modules' production code, and the `facades.get(...)` it could not trace. */
export function findFacadeCalls(codebase: Codebase, declarations: readonly FacadeKeyDeclaration[]): { calls: FacadeCall[]; unresolved: (UnresolvedFacadeCall & { caller: string })[] } {
  const resolver = new KeyResolver(codebase, declarations);
  const calls: FacadeCall[] = [];
  const unresolved: (UnresolvedFacadeCall & { caller: string })[] = [];
  for (const module of codebase.modules.values()) {
    for (const file of module.files) {
      walk(file.source, (node) => {
        if (!ts.isCallExpression(node) || node.arguments.length !== 1 || !ts.isPropertyAccessExpression(node.expression)) return;
        if (node.expression.name.text !== 'get') return;
        const [argument] = node.arguments;
        const declaration = resolver.resolve(file, argument!);
        const receiver = stripExpression(node.expression.expression);
        const looksLikeFacades = calleeName(receiver) === 'facades';
        if (!declaration) {
          if (looksLikeFacades) {
            unresolved.push({ caller: module.name, file: file.rel, line: lineOf(file.source, node), expression: node.getText(file.source) });
          }
          return;
        }
        for (const use of methodsUsed(node, file.source)) {
          calls.push({ caller: module.name, callee: declaration.module, key: declaration.name, method: use.method, file: file.rel, line: use.line });
        }
      });
    }
  }
  return { calls, unresolved };
}

function group(calls: readonly FacadeCall[], other: (call: FacadeCall) => string): FacadeTie[] {
  const ties = new Map<string, FacadeTie>();
  for (const call of calls) {
    const module = other(call);
    const id = `${module}\u0000${call.key}`;
    const tie = ties.get(id) ?? { module, key: call.key, methods: [] };
    ties.set(id, tie);
    const name = call.method ?? '(facade passed on; methods not traced)';
    let method = tie.methods.find((entry) => entry.name === name);
    if (!method) tie.methods.push((method = { name, sites: [] }));
    if (!method.sites.some((site) => site.file === call.file && site.line === call.line)) method.sites.push({ file: call.file, line: call.line });
  }
  return [...ties.values()]
    .map((tie) => ({ ...tie, methods: tie.methods.sort((a, b) => a.name.localeCompare(b.name)) }))
    .sort((a, b) => a.module.localeCompare(b.module) || a.key.localeCompare(b.key));
}

/**
 * The synchronous ties of every module: the facades it calls (out), who calls its facade (in),
 * and `facades.get(...)` calls the analysis could not trace.
 * @example callTies(codebase).get('order')?.out // → [{ module: 'payment', … }, { module: 'product', … }]
 */
export function callTies(codebase: Codebase): Map<string, CallTies> {
  const declarations = facadeKeyDeclarations(codebase);
  const { calls, unresolved } = findFacadeCalls(codebase, declarations);
  const ties = new Map<string, CallTies>();
  for (const moduleName of codebase.modules.keys()) {
    ties.set(moduleName, {
      offers: declarations.find((declaration) => declaration.module === moduleName) ?? null,
      out: group(calls.filter((call) => call.caller === moduleName && call.callee !== moduleName), (call) => call.callee),
      in: group(calls.filter((call) => call.callee === moduleName && call.caller !== moduleName), (call) => call.caller),
      unresolved: unresolved.filter((call) => call.caller === moduleName).map(({ caller: _caller, ...call }) => call),
    });
  }
  return ties;
}
