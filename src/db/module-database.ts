import knex, { type Knex } from 'knex';
import { withCredentials } from './database-url.js';
import type { SchemaOwner } from './module-role.js';

export type { Knex };

export interface ModuleDatabaseSettings {
  /** the server and database; its credentials are replaced by the owner's role */
  url: string;
  owner: SchemaOwner;
  poolMax: number;
  applicationName: string;
}

/**
 * A knex instance that connects as the module's own role with its schema first on the
 * search path, so an unqualified table name can only ever mean the module's own table.
 * @example const db = moduleDatabase({ url, owner, poolMax: 10, applicationName: 'commerce:user' })
 */
export function moduleDatabase(settings: ModuleDatabaseSettings): Knex {
  return knex({
    client: 'pg',
    connection: {
      connectionString: withCredentials(settings.url, settings.owner.role, settings.owner.password),
      application_name: settings.applicationName,
    },
    searchPath: [settings.owner.schema],
    pool: { min: 0, max: settings.poolMax, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 10_000,
  });
}
