import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaPlan, type PlannedSchema } from '../app/schema-plan.js';
import { startTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { allModules } from '../../modules/registry.js';
import { withCredentials } from './database-url.js';

const INSUFFICIENT_PRIVILEGE = '42501';

let t: TestPlatform;
let plan: PlannedSchema[];
const clients = new Map<string, pg.Client>();

/** Runs `sql` as the schema owner's role and returns the SQLSTATE it failed with, or 'ok'. */
async function asOwner(owner: PlannedSchema, sql: string): Promise<string> {
  const client = clients.get(owner.schema)!;
  await client.query('BEGIN');
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  } finally {
    await client.query('ROLLBACK');
  }
}

beforeAll(async () => {
  t = await startTestPlatform(allModules);
  plan = schemaPlan(t.config, allModules);
  const admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
  // Every schema gets a table of its own to attack, whatever its migrations created.
  for (const entry of plan) {
    await admin.query(`CREATE TABLE ${entry.schema}.isolation_probe (id int)`);
    await admin.query(`ALTER TABLE ${entry.schema}.isolation_probe OWNER TO ${entry.owner.role}`);
  }
  await admin.end();
  for (const entry of plan) {
    const client = new pg.Client({ connectionString: withCredentials(t.adminDatabaseUrl, entry.owner.role, entry.owner.password) });
    await client.connect();
    clients.set(entry.schema, client);
  }
});

afterAll(async () => {
  for (const client of clients.values()) await client.end();
  await t?.close();
});

describe('each module role is confined to its own schema', () => {
  it('the plan covers the platform and every module', () => {
    expect(plan.map((entry) => entry.schema)).toEqual(['platform', ...allModules.map((m) => m.schema)]);
    expect(new Set(plan.map((entry) => entry.owner.role)).size).toBe(plan.length);
  });

  it('a role reads and writes its own schema', async () => {
    for (const entry of plan) {
      expect(await asOwner(entry, `INSERT INTO ${entry.schema}.isolation_probe VALUES (1)`)).toBe('ok');
      expect(await asOwner(entry, 'SELECT * FROM isolation_probe')).toBe('ok');
    }
  });

  it('a role can neither read, write nor create in another module\'s schema', async () => {
    const attempts: string[] = [];
    for (const actor of plan) {
      for (const victim of plan.filter((entry) => entry !== actor)) {
        const outcomes = {
          select: await asOwner(actor, `SELECT * FROM ${victim.schema}.isolation_probe`),
          insert: await asOwner(actor, `INSERT INTO ${victim.schema}.isolation_probe VALUES (1)`),
          create: await asOwner(actor, `CREATE TABLE ${victim.schema}.intruder (id int)`),
          outbox: victim.withKernelTables ? await asOwner(actor, `SELECT * FROM ${victim.schema}.outbox`) : INSUFFICIENT_PRIVILEGE,
        };
        for (const [action, code] of Object.entries(outcomes)) {
          if (code !== INSUFFICIENT_PRIVILEGE) attempts.push(`${actor.owner.role} ${action} on ${victim.schema}: ${code}`);
        }
      }
    }
    expect(attempts).toEqual([]);
  });

  it('a role cannot grant itself a way out or park tables in public', async () => {
    for (const entry of plan) {
      expect(await asOwner(entry, 'CREATE TABLE public.escape_hatch (id int)')).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await asOwner(entry, 'CREATE ROLE sneaky')).toBe(INSUFFICIENT_PRIVILEGE);
    }
  });

  it('a module\'s knex connects as its own role with its own schema first', async () => {
    for (const hosted of t.platform.modules) {
      const { rows } = await hosted.container.cradle.db.raw('SELECT current_user AS role, current_schema() AS schema');
      expect(rows[0]).toEqual({ role: `${t.config.DATABASE_ROLE_PREFIX}${hosted.definition.schema}`, schema: hosted.definition.schema });
    }
  });
});
