import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { FolderMigrationSource } from './migration-source.js';

/** Tables the kernel keeps in every module's schema (outbox, inbox), migrated before the module's own. */
const EVERY_MODULE_MIGRATIONS = fileURLToPath(new URL('../../migrations/every-module/', import.meta.url));

export interface SchemaMigrations {
  schema: string;
  /** the module's own folder, `migrations/<module>/` */
  folder: string;
  /** whether the kernel's per-module tables (outbox, inbox) belong in this schema */
  withKernelTables: boolean;
}

/**
 * Runs migrations as the schema's owner, keeping the bookkeeping table inside that schema,
 * so each module's history travels with its data when the module moves to its own database.
 * @example await migrateSchema(db, { schema: 'users', folder, withKernelTables: true })
 */
export async function migrateSchema(db: Knex, target: SchemaMigrations): Promise<string[]> {
  const applied: string[] = [];
  const runs = [
    ...(target.withKernelTables ? [{ folder: EVERY_MODULE_MIGRATIONS, table: 'kernel_migrations' }] : []),
    { folder: target.folder, table: 'knex_migrations' },
  ];
  for (const run of runs) {
    const [, names] = (await db.migrate.latest({
      migrationSource: new FolderMigrationSource(run.folder),
      schemaName: target.schema,
      tableName: run.table,
      // A schema may carry migrations this code does not know: a newer release ran them and
      // this one is its rollback. Migrations are written so the previous release still runs
      // on the migrated schema, so those are not corruption and must not stop the start.
      disableMigrationsListValidation: true,
    })) as [number, string[]];
    applied.push(...names);
  }
  return applied;
}
