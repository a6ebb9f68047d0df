import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModuleDefinition } from '../../app/module-definition.js';
import type { Config } from '../../config/config.js';
import { schemaOwner } from '../../db/module-role.js';
import { codeFacts } from './code-facts.js';
import { databaseTies } from './database-ties.js';
import { eventTies } from './event-ties.js';
import { judge } from './extraction-verdict.js';
import { REPORT_VERSION, type DatabaseTies, type ExtractionReport } from './report-types.js';

/**
 * What still ties one module to the monolith, from its code, the manifests and the database,
 * and whether it can run as a service of its own now. The kernel knows no module: the caller
 * (scripts/extraction-report.ts, a test) passes the catalogue, `allModules`.
 */

export class UnknownModuleError extends Error {
  override readonly name = 'UnknownModuleError';

  constructor(readonly module: string, readonly known: readonly string[]) {
    super(`unknown module "${module}"; known modules: ${known.join(', ')}`);
  }
}

export interface ExtractionReportOptions {
  /** every module of the system (`allModules`) */
  modules: readonly ModuleDefinition[];
  module: string;
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_ROLE_PREFIX' | 'DATABASE_ROLE_SECRET'>;
  /** the repository root (default: found from this file) */
  root?: string;
  /** skip the database part (it is then reported as not checked) */
  skipDatabase?: boolean;
  /** keep the code analysis here between runs (see code-facts.ts); none by default */
  cacheDir?: string;
}

const REPOSITORY_ROOT = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/**
 * @example const report = await buildExtractionReport({ modules: allModules, module: 'order', config: loadConfig(process.env) })
 */
export async function buildExtractionReport(options: ExtractionReportOptions): Promise<ExtractionReport> {
  const { modules, config } = options;
  const definition = modules.find((candidate) => candidate.name === options.module);
  if (!definition) throw new UnknownModuleError(options.module, modules.map((candidate) => candidate.name));
  const root = options.root ?? REPOSITORY_ROOT;
  const { role } = schemaOwner(definition.schema, { prefix: config.DATABASE_ROLE_PREFIX, secret: config.DATABASE_ROLE_SECRET });

  // The catalogue queries wait on the network: start them before the (synchronous) parsing.
  const database: Promise<DatabaseTies> = options.skipDatabase
    ? Promise.resolve({
      status: 'skipped', url: '(not checked)', schema: definition.schema, role, message: 'the database part was skipped (--no-database)',
      foreignKeys: [], dependencies: [], functionReferences: [], privileges: [], memberships: [], ownership: [], extensions: [],
    })
    : databaseTies({ url: config.DATABASE_URL, schema: definition.schema, role });

  const code = await codeFacts({ root, moduleNames: modules.map((candidate) => candidate.name), ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) });
  const facts = code.modules[definition.name]!;
  const partial: Omit<ExtractionReport, 'verdict'> = {
    reportVersion: REPORT_VERSION,
    module: {
      name: definition.name,
      schema: definition.schema,
      role,
      folder: facts.folder,
      routePrefixes: [...definition.routePrefixes],
      sagas: (definition.sagas ?? []).map((saga) => saga.name),
    },
    code: { filesAnalysed: facts.filesAnalysed, testFilesSkipped: facts.testFilesSkipped },
    calls: facts.calls,
    imports: facts.imports,
    events: eventTies(modules, definition.name),
    config: facts.config,
    database: await database,
  };
  const moduleOfSchema = (schema: string): string | undefined => modules.find((candidate) => candidate.schema === schema)?.name;
  return { ...partial, verdict: judge(partial, { moduleOfSchema }) };
}
