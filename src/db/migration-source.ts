import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

interface MigrationFile {
  name: string;
  path: string;
}

const MIGRATION_FILE = /^(?!.*\.d\.ts$)(?!.*\.test\.[jt]s$).+\.(ts|js|mjs)$/;

/**
 * Loads migrations from a folder with `import()`, naming each without its extension,
 * so the TypeScript sources (dev, tests) and the compiled output (`npm start`) record
 * the same names in the migrations table.
 */
export class FolderMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<MigrationFile[]> {
    let entries: string[];
    try {
      entries = await readdir(this.folder);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((entry) => MIGRATION_FILE.test(entry))
      .map((entry) => ({ name: basename(entry, extname(entry)), path: join(this.folder, entry) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  getMigrationName(migration: MigrationFile): string {
    return migration.name;
  }

  async getMigration(migration: MigrationFile): Promise<Knex.Migration> {
    return (await import(pathToFileURL(migration.path).href)) as Knex.Migration;
  }
}
