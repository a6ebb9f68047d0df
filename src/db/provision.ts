import pg from 'pg';
import { databaseName, withDatabase } from './database-url.js';
import type { SchemaOwner } from './module-role.js';

const DUPLICATE_DATABASE = '42P04';
const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';

function hasCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as { code?: string }).code ?? '');
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'commerce-provision' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the database named in `adminUrl` when it is missing. Safe to run concurrently.
 * @example await ensureDatabase('postgres://postgres@127.0.0.1:5432/commerce') // → true when created
 */
export async function ensureDatabase(adminUrl: string): Promise<boolean> {
  const name = databaseName(adminUrl);
  return withClient(withDatabase(adminUrl, 'postgres'), async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (error) {
      if (hasCode(error, DUPLICATE_DATABASE, UNIQUE_VIOLATION)) return false;
      throw error;
    }
  });
}

/**
 * Runs `work` while holding this database's provisioning lock (a PostgreSQL advisory lock),
 * so processes that start together (replicas, the monolith beside its extracted services)
 * prepare the database one after the other: the first creates and migrates, the others find
 * it done. Without it, two starts collide on the same catalog rows ("tuple concurrently
 * updated") or on the migration lock, and one of them fails.
 */
export async function withProvisioningLock<T>(adminUrl: string, work: () => Promise<T>): Promise<T> {
  return withClient(adminUrl, async (client) => {
    await client.query(`SELECT pg_advisory_lock(hashtextextended('commerce:provision', 0))`);
    try {
      return await work();
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtextextended('commerce:provision', 0))`);
    }
  });
}

/** Roles live in the whole cluster: starts on two databases may still alter the same role at the same moment. */
async function retriedOnConcurrentUpdate(statement: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await statement();
      return;
    } catch (error) {
      if (attempt >= 5 || !/tuple concurrently (updated|deleted)/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
    }
  }
}

/**
 * Gives each owner its login role and a schema it owns, and nobody else any right on it.
 * Roles are cluster-wide, so creation tolerates a concurrent creator.
 */
export async function ensureSchemaOwners(adminUrl: string, owners: readonly SchemaOwner[]): Promise<void> {
  await withClient(adminUrl, async (client) => {
    // Module roles must not be able to park tables in `public` either (the default before PostgreSQL 15).
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    for (const owner of owners) {
      const role = pg.escapeIdentifier(owner.role);
      const password = pg.escapeLiteral(owner.password);
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${password}`;
      // Roles are cluster-wide: look first so a routine start writes no ERROR into the server log,
      // and still tolerate another process creating the role in between.
      const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [owner.role]);
      try {
        if (rowCount === 0) await client.query(`CREATE ROLE ${role} ${attributes}`);
        else await retriedOnConcurrentUpdate(() => client.query(`ALTER ROLE ${role} ${attributes}`));
      } catch (error) {
        if (!hasCode(error, DUPLICATE_OBJECT, UNIQUE_VIOLATION)) throw error;
        await retriedOnConcurrentUpdate(() => client.query(`ALTER ROLE ${role} ${attributes}`));
      }
      const schema = pg.escapeIdentifier(owner.schema);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`);
      await client.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
      await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
      // Any session of the role (psql, a migration tool) resolves bare table names in its own schema.
      await retriedOnConcurrentUpdate(() => client.query(`ALTER ROLE ${role} SET search_path = ${schema}`));
    }
  });
}

/** Clones a migrated database; the fast path for giving each test file its own. */
export async function cloneDatabase(adminUrl: string, template: string, name: string): Promise<void> {
  await withClient(withDatabase(adminUrl, 'postgres'), async (client) => {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`);
  });
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(withDatabase(adminUrl, 'postgres'), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  });
}
