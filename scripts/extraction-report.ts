/**
 * What still ties a module to the monolith, and whether it can be extracted now.
 *   npm run extraction-report -- <module> [--json] [--no-database]
 * Text by default; --json prints the document described in docs/extraction-readiness.md.
 * Exit codes: 0 a report was printed (whatever its verdict), 1 it could not be made, 2 bad usage or unknown module.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildExtractionReport, UnknownModuleError } from '../src/architecture/extraction-report/extraction-report.js';
import { renderText } from '../src/architecture/extraction-report/render.js';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { allModules } from '../modules/registry.js';

const known = allModules.map((module) => module.name);
const root = path.resolve(fileURLToPath(new URL('../', import.meta.url)));
/** the code analysis is kept here between runs, keyed by the files it read */
const cacheDir = path.join(root, 'node_modules', '.cache', 'extraction-report');
const USAGE = `usage: npm run extraction-report -- <module> [--json] [--no-database]   (modules: ${known.join(', ')})`;

function finish(text: string, stream: NodeJS.WriteStream, code: number): void {
  stream.write(text, () => process.exit(code));
}

const OPTIONS = { json: { type: 'boolean' }, 'no-database': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

function parseCommandLine(): ReturnType<typeof parseArgs<{ allowPositionals: true; options: typeof OPTIONS }>> | Error {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (error) {
    return error as Error;
  }
}

async function main(): Promise<void> {
  const parsed = parseCommandLine();
  if (parsed instanceof Error) return finish(`extraction-report: ${parsed.message}\n${USAGE}\n`, process.stderr, 2);
  const { positionals, values } = parsed;
  if (values.help) return finish(`${USAGE}\n`, process.stdout, 0);
  if (positionals.length !== 1) return finish(`${USAGE}\n`, process.stderr, 2);
  const [module] = positionals as [string];
  try {
    const config = loadConfig(process.env);
    const report = await buildExtractionReport({ modules: allModules, module, config, root, cacheDir, skipDatabase: values['no-database'] ?? false });
    finish(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report), process.stdout, 0);
  } catch (error) {
    if (error instanceof UnknownModuleError) return finish(`extraction-report: ${error.message}\n`, process.stderr, 2);
    if (error instanceof ConfigError) return finish(`extraction-report: ${error.message}\n`, process.stderr, 1);
    finish(`extraction-report: could not build the report: ${error instanceof Error ? error.message : String(error)}\n`, process.stderr, 1);
  }
}

await main();
