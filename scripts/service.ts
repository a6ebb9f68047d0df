/**
 * `npm run service -- <module>`: runs one module as an extracted service, beside `npm run dev`,
 * on the same PostgreSQL and Redis (found the way `npm run dev` finds them). It registers
 * itself; switch traffic to it with `npm run route -- <module> shadow|canary|remote`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allModules } from '../modules/registry.js';
import { isLocalServiceError } from './dev/local-service.js';
import { localEnvironment } from './dev/local-environment.js';

const name = process.argv[2];
const names = allModules.map((module) => module.name);
if (!name || !names.includes(name)) {
  process.stderr.write(`Usage: npm run service -- <module>\n  modules: ${names.join(', ')}\n`);
  process.exit(2);
}
const main = fileURLToPath(new URL(`../extracted/${name}-service/main.ts`, import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(`No extracted service for ${name} (expected ${main})\n`);
  process.exit(2);
}

try {
  const say = (message: string) => process.stdout.write(`[service] ${message}\n`);
  const local = await localEnvironment({ LOG_PRETTY: process.stdout.isTTY ? 'true' : 'false', ...process.env }, say);
  Object.assign(process.env, local.env);
  await import(main);
} catch (error) {
  if (isLocalServiceError(error)) {
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
