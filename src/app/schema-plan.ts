import { fileURLToPath } from 'node:url';
import { databaseUrlOf, type Config } from '../config/config.js';
import { schemaOwner, type SchemaOwner } from '../db/module-role.js';
import type { SchemaMigrations } from '../db/migrate.js';
import type { ModuleDefinition } from './module-definition.js';

/** The kernel's own schema (route table, registry, saga store as they arrive). */
export const PLATFORM_SCHEMA = 'platform';
const PLATFORM_MIGRATIONS = fileURLToPath(new URL('../../migrations/platform/', import.meta.url));

export interface PlannedSchema extends SchemaMigrations {
  owner: SchemaOwner;
  /** the database it lives in (a module may have one of its own) */
  url: string;
}

/** Every schema this process needs: the platform's and one per hosted module. */
export function schemaPlan(config: Config, modules: readonly ModuleDefinition[]): PlannedSchema[] {
  const settings = { prefix: config.DATABASE_ROLE_PREFIX, secret: config.DATABASE_ROLE_SECRET };
  return [
    { schema: PLATFORM_SCHEMA, folder: PLATFORM_MIGRATIONS, withKernelTables: false, owner: schemaOwner(PLATFORM_SCHEMA, settings), url: config.DATABASE_URL },
    ...modules.map((module) => ({
      schema: module.schema, folder: module.migrations, withKernelTables: true, owner: schemaOwner(module.schema, settings),
      url: databaseUrlOf(config, module.name),
    })),
  ];
}
