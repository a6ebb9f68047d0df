import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModuleDefinition } from '../../app/module-definition.js';
import { byText } from './manifest-facts.js';
import { buildModuleMap, REPOSITORY_ROOT } from './module-map.js';
import { moduleMapFiles } from './render-module-map.js';

/** Where `npm run docs:modules` writes, relative to the repository root. */
export const MODULE_MAP_DIR = 'docs/modules';

/** The files that make up the folder: what the generator writes and the only ones it removes. */
const isGenerated = (name: string): boolean => name.endsWith('.md') || name.endsWith('.json');

/**
 * The content of `docs/modules/` as the code says it should be, file name → text.
 * @example await generateModuleMapFiles(allModules)
 */
export async function generateModuleMapFiles(modules: readonly ModuleDefinition[], root: string = REPOSITORY_ROOT): Promise<Map<string, string>> {
  return moduleMapFiles(await buildModuleMap(modules, root));
}

export interface MapDifferences {
  /** generated, not on disk */
  missing: string[];
  /** on disk with other content */
  changed: string[];
  /** on disk, no longer generated (a module that went away) */
  extra: string[];
}

/** How the folder on disk differs from the files expected; all empty when the map is current. */
export function compareWithFolder(folder: string, expected: ReadonlyMap<string, string>): MapDifferences {
  const onDisk = existsSync(folder) ? readdirSync(folder).filter(isGenerated).sort(byText) : [];
  return {
    missing: [...expected.keys()].filter((name) => !onDisk.includes(name)),
    changed: [...expected.entries()].filter(([name, text]) => onDisk.includes(name) && readFileSync(path.join(folder, name), 'utf8') !== text).map(([name]) => name),
    extra: onDisk.filter((name) => !expected.has(name)),
  };
}

export const isCurrent = (differences: MapDifferences): boolean =>
  differences.missing.length + differences.changed.length + differences.extra.length === 0;

/** Writes the files (only those that changed) and removes the pages no longer generated. */
export function writeModuleMapFiles(folder: string, files: ReadonlyMap<string, string>): MapDifferences {
  const differences = compareWithFolder(folder, files);
  mkdirSync(folder, { recursive: true });
  for (const name of [...differences.missing, ...differences.changed]) writeFileSync(path.join(folder, name), files.get(name)!);
  for (const name of differences.extra) rmSync(path.join(folder, name));
  return differences;
}
