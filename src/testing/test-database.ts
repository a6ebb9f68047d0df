import pg from 'pg';
import { withDatabase } from '../db/database-url.js';

/** Names carry the owning test run's process id, so a later run can drop what a killed run left. */
export const TEST_DATABASE_PREFIX = 'cm_test_';

export function testDatabaseName(runPid: number, kind: 'tpl' | 'db'): string {
  return `${TEST_DATABASE_PREFIX}${runPid}_${kind}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Whether the run with this process id is still going (a process we may not signal still exists). */
export function isRunAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Drops databases named `<prefix><pid>…` whose run is gone (killed runs never reach their
 * teardown): test runs by default, benchmark runs with their own prefix.
 */
export async function dropDatabasesOfDeadRuns(adminUrl: string, prefix = TEST_DATABASE_PREFIX): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(adminUrl, 'postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of rows) {
      const pid = Number(datname.slice(prefix.length).split('_')[0]);
      if (Number.isInteger(pid) && !isRunAlive(pid)) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
