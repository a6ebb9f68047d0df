import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { DEV_SECRETS, loadConfig } from '../../config/config.js';
import { lineOf, parseFile, propertyNameText, type Codebase } from './module-sources.js';
import type { ConfigKind, ConfigRead, ConfigTies, SourceLocation } from './report-types.js';

/**
 * Which configuration keys a module's code reads, and which of them tie its service to the
 * rest of the deployment (a secret every process must share) rather than to itself.
 */

/** Secrets every process of a deployment must hold with the same value. */
export const SHARED_SECRETS: Readonly<Record<string, string>> = {
  JWT_SECRET: 'access tokens are signed by the user module and verified by every process',
  INTERNAL_TOKEN_SECRET: 'service-to-service calls are authenticated with it on both ends',
  DATABASE_ROLE_SECRET: 'module role passwords are derived from it, so every process agrees on them',
};

/** Settings, not secret, that every process must agree on. */
export const SHARED_SETTINGS: Readonly<Record<string, string>> = {
  REDIS_URL: 'events travel through one Redis (BullMQ queues per consuming module)',
  REDIS_PREFIX: 'queue names carry it: a process with another prefix sends events nobody receives',
  DATABASE_ROLE_PREFIX: 'role names are derived from it',
};

const SECRET_NAME = /SECRET|PASSWORD|(^|_)KEY$/;

export function configKind(key: string): ConfigKind {
  if (key in SHARED_SECRETS) return 'shared-secret';
  if (key in SHARED_SETTINGS) return 'shared-setting';
  if (key in DEV_SECRETS || SECRET_NAME.test(key)) return 'module-secret';
  return 'module-setting';
}

/** The kernel's own config.ts (config.js once built), beside this analyser. */
const KERNEL_CONFIG = fileURLToPath(new URL('../../config/config', import.meta.url));

/**
 * The configuration keys: the properties of `ConfigSchema` in src/config/config.ts, read from its
 * syntax (optional keys included), together with the keys `loadConfig({})` returns (so a
 * reshaped schema still counts).
 */
export function configKeys(root: string): Set<string> {
  const keys = new Set<string>(Object.keys(loadConfig({})));
  const file = [path.join(root, 'src/config/config.ts'), `${KERNEL_CONFIG}.ts`, `${KERNEL_CONFIG}.js`].find((candidate) => existsSync(candidate));
  if (!file) return keys;
  try {
    const source = parseFile(file);
    const visit = (node: ts.Node, inSchema: boolean): void => {
      const schemaHere = inSchema || (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'ConfigSchema');
      if (schemaHere && ts.isObjectLiteralExpression(node) && node.parent && ts.isCallExpression(node.parent)) {
        for (const property of node.properties) {
          const name = property.name && propertyNameText(property.name);
          if (name && /^[A-Z][A-Z0-9_]*$/.test(name)) keys.add(name);
        }
      }
      ts.forEachChild(node, (child) => visit(child, schemaHere));
    };
    visit(source, false);
  } catch {
    // the runtime keys above are enough
  }
  return keys;
}

/** `config`, `this.config`, `ctx.services.config`, `deps.config`: anything ending in a name `config`. */
function isConfigHolder(expression: ts.Expression): boolean {
  let current = expression;
  while (ts.isParenthesizedExpression(current) || ts.isNonNullExpression(current)) current = current.expression;
  if (ts.isIdentifier(current)) return current.text === 'config';
  if (ts.isPropertyAccessExpression(current)) return current.name.text === 'config';
  return false;
}

/** `Config` or `…Config` type names, e.g. `Pick<Config, 'SMTP_URL'>`. */
function isConfigType(type: ts.TypeNode | undefined, source: ts.SourceFile): boolean {
  return !!type && ts.isTypeReferenceNode(type) && /(^|\.)Config$/.test(type.typeName.getText(source));
}

function literalKeys(type: ts.TypeNode | undefined): string[] {
  if (!type) return [];
  if (ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal)) return [type.literal.text];
  if (ts.isUnionTypeNode(type)) return type.types.flatMap(literalKeys);
  if (ts.isParenthesizedTypeNode(type)) return literalKeys(type.type);
  return [];
}

/**
 * @example configTies(codebase, 'payment').reads.map((r) => r.key) // → ['PAYMENT_ENCRYPTION_KEY', …]
 */
export function configTies(codebase: Codebase, moduleName: string, keys: ReadonlySet<string> = configKeys(codebase.root)): ConfigTies {
  const sites = new Map<string, SourceLocation[]>();
  const add = (key: string, file: string, line: number): void => {
    if (!keys.has(key)) return;
    const list = sites.get(key) ?? [];
    if (!list.some((site) => site.file === file && site.line === line)) list.push({ file, line });
    sites.set(key, list);
  };

  for (const file of codebase.modules.get(moduleName)?.files ?? []) {
    const { source } = file;
    const visit = (node: ts.Node): void => {
      // config.X, ctx.services.config.X
      if (ts.isPropertyAccessExpression(node) && isConfigHolder(node.expression)) add(node.name.text, file.rel, lineOf(source, node));
      // config['X']
      if (ts.isElementAccessExpression(node) && isConfigHolder(node.expression) && ts.isStringLiteralLike(node.argumentExpression)) {
        add(node.argumentExpression.text, file.rel, lineOf(source, node));
      }
      // const { X, Y } = config
      if (ts.isVariableDeclaration(node) && node.initializer && isConfigHolder(node.initializer) && ts.isObjectBindingPattern(node.name)) {
        for (const element of node.name.elements) {
          const name = element.propertyName ? propertyNameText(element.propertyName) : ts.isIdentifier(element.name) ? element.name.text : undefined;
          if (name) add(name, file.rel, lineOf(source, element));
        }
      }
      // ({ config: { X } }) => …  in a parameter
      if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.name) && (node.propertyName ? propertyNameText(node.propertyName) : undefined) === 'config') {
        for (const element of node.name.elements) {
          const name = element.propertyName ? propertyNameText(element.propertyName) : ts.isIdentifier(element.name) ? element.name.text : undefined;
          if (name) add(name, file.rel, lineOf(source, element));
        }
      }
      // Pick<Config, 'A' | 'B'>
      if (ts.isTypeReferenceNode(node) && node.typeName.getText(source) === 'Pick' && isConfigType(node.typeArguments?.[0], source)) {
        for (const key of literalKeys(node.typeArguments?.[1])) add(key, file.rel, lineOf(source, node));
      }
      // Config['X']
      if (ts.isIndexedAccessTypeNode(node) && isConfigType(node.objectType, source)) {
        for (const key of literalKeys(node.indexType)) add(key, file.rel, lineOf(source, node));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }

  const reads: ConfigRead[] = [...sites.entries()]
    .map(([key, found]) => ({ key, kind: configKind(key), sites: found }))
    .sort((a, b) => a.key.localeCompare(b.key));
  const everyProcessNeeds = [...Object.entries(SHARED_SECRETS), ...Object.entries(SHARED_SETTINGS)]
    .filter(([key]) => keys.has(key))
    .map(([key, why]) => ({ key, kind: configKind(key), why }));
  return { reads, everyProcessNeeds };
}
