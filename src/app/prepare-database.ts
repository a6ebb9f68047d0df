import type { Config } from '../config/config.js';
import { migrateSchema } from '../db/migrate.js';
import { moduleDatabase } from '../db/module-database.js';
import { ensureDatabase, ensureSchemaOwners, withProvisioningLock } from '../db/provision.js';
import type { Logger } from '../observability/logger.js';
import type { ModuleDefinition } from './module-definition.js';
import { schemaPlan } from './schema-plan.js';

/**
 * Brings a database to the shape the hosted modules need: database, roles, schemas,
 * migrations. Idempotent, so every start may run it.
 * @example await prepareDatabase(config, modules, log)
 */
export async function prepareDatabase(config: Config, modules: readonly ModuleDefinition[], log: Logger): Promise<void> {
  const plan = schemaPlan(config, modules);
  // A module with a database of its own (`<MODULE>_DATABASE_URL`) gets its role and schema there.
  for (const url of new Set(plan.map((entry) => entry.url))) {
    if (await ensureDatabase(url)) log.info({ database: new URL(url).pathname.slice(1) }, 'created the database');
    const here = plan.filter((entry) => entry.url === url);
    await withProvisioningLock(url, async () => {
      await ensureSchemaOwners(url, here.map((entry) => entry.owner));
      for (const entry of here) {
        const db = moduleDatabase({ url: entry.url, owner: entry.owner, poolMax: 1, applicationName: `commerce:migrate:${entry.schema}` });
        try {
          const applied = await migrateSchema(db, entry);
          if (applied.length > 0) log.info({ schema: entry.schema, applied }, 'migrated');
        } finally {
          await db.destroy();
        }
      }
    });
  }
}
