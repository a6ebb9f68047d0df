/**
 * `npm run docs:modules`: writes the module map into docs/modules/ (README.md with the Mermaid
 * picture, one page per module, module-map.json) from the manifests and the code.
 *   --check   write nothing; exit 1 when the committed map is stale (what the unit test checks)
 * Deterministic: running it twice changes nothing.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareWithFolder, generateModuleMapFiles, isCurrent, MODULE_MAP_DIR, writeModuleMapFiles } from '../src/architecture/module-map/module-map-files.js';
import { allModules } from '../modules/registry.js';

const root = path.resolve(fileURLToPath(new URL('../', import.meta.url)));
const folder = path.join(root, MODULE_MAP_DIR);
const { values } = parseArgs({ options: { check: { type: 'boolean' } } });

const files = await generateModuleMapFiles(allModules, root);
const differences = values.check ? compareWithFolder(folder, files) : writeModuleMapFiles(folder, files);
const [missing, extra] = values.check ? ['missing', 'extra'] : ['new', 'removed'];
const summary = [
  ...differences.missing.map((name) => `  ${missing.padEnd(8)} ${MODULE_MAP_DIR}/${name}`),
  ...differences.changed.map((name) => `  ${'changed'.padEnd(8)} ${MODULE_MAP_DIR}/${name}`),
  ...differences.extra.map((name) => `  ${extra.padEnd(8)} ${MODULE_MAP_DIR}/${name}`),
].join('\n');

if (values.check) {
  if (isCurrent(differences)) process.stdout.write(`${MODULE_MAP_DIR}/ is up to date (${files.size} files)\n`);
  else process.stderr.write(`${MODULE_MAP_DIR}/ is stale; run npm run docs:modules\n${summary}\n`);
  process.exitCode = isCurrent(differences) ? 0 : 1;
} else {
  process.stdout.write(isCurrent(differences)
    ? `${MODULE_MAP_DIR}/ was already up to date (${files.size} files)\n`
    : `${MODULE_MAP_DIR}/ (${files.size} files):\n${summary}\n`);
}
