import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallTies, ConfigTies, ImportTies } from './report-types.js';

/**
 * The code part of the report for every module, and a cache of it. Parsing needs the
 * TypeScript compiler, whose loading alone takes most of a second, so the facts are kept in a
 * file keyed by the size and modification time of every file they were read from (the modules,
 * src/config/config.ts and this analyser). A hit never loads the compiler.
 */

export interface ModuleCodeFacts {
  folder: string;
  filesAnalysed: number;
  testFilesSkipped: number;
  calls: CallTies;
  imports: ImportTies;
  config: ConfigTies;
}

export interface CodeFacts {
  modules: Record<string, ModuleCodeFacts>;
}

const ANALYSER_DIR = path.dirname(fileURLToPath(import.meta.url));
const CACHE_FORMAT = 1;

function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.split(path.sep).includes('node_modules'));
}

/** Changes when any file the facts depend on changes (or appears, or goes). */
export function codeFingerprint(root: string, moduleNames: readonly string[]): string {
  const files = [
    ...filesUnder(path.join(root, 'modules')),
    path.join(root, 'src/config/config.ts'),
    ...filesUnder(ANALYSER_DIR).filter((file) => !file.endsWith('.test.ts')),
  ].sort();
  const hash = createHash('sha256').update(`${CACHE_FORMAT}\n${root}\n${moduleNames.join(',')}\n`);
  for (const file of files) {
    try {
      const stat = statSync(file);
      hash.update(`${file}\t${stat.size}\t${stat.mtimeMs}\n`);
    } catch {
      hash.update(`${file}\tmissing\n`);
    }
  }
  return hash.digest('hex');
}

export interface CodeFactsOptions {
  root: string;
  moduleNames: readonly string[];
  /** where to keep the cache; no cache without it */
  cacheDir?: string;
}

/**
 * @example await codeFacts({ root, moduleNames: allModules.map((m) => m.name), cacheDir: 'node_modules/.cache/extraction-report' })
 */
export async function codeFacts(options: CodeFactsOptions): Promise<CodeFacts> {
  const { root, moduleNames, cacheDir } = options;
  const fingerprint = cacheDir ? codeFingerprint(root, moduleNames) : '';
  const cacheFile = cacheDir ? path.join(cacheDir, 'code-facts.json') : '';
  if (cacheDir) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { fingerprint?: string; facts?: CodeFacts };
      if (cached.fingerprint === fingerprint && cached.facts) return cached.facts;
    } catch {
      // no cache yet, or an unreadable one: analyse
    }
  }
  const { analyseCode } = await import('./code-analysis.js');
  const facts = analyseCode(root, moduleNames);
  if (cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      // write then rename, so a concurrent run never reads half a file
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ fingerprint, facts }));
      renameSync(temporary, cacheFile);
    } catch {
      // a cache that cannot be written only costs time
    }
  }
  return facts;
}
