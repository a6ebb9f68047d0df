import { readFile } from 'node:fs/promises';
import type pg from 'pg';

/** Linux reports a process's CPU time in clock ticks of 1/USER_HZ s, which is 100 on every common build. */
const TICKS_PER_MS = 100 / 1000;

/**
 * CPU time (user + system, ms) spent so far by the PostgreSQL backends serving this database,
 * read from /proc: the server's half of what an order costs, which the client-side counts only
 * imply. A backend that ends between two readings takes its time with it, so compare readings
 * over a phase in which the pools stay open. Zero where /proc cannot be read (another host).
 * @example const before = await postgresCpuMs(admin); … const spent = (await postgresCpuMs(admin)) - before
 */
export async function postgresCpuMs(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  const times = await Promise.all(rows.map(async ({ pid }) => {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
    } catch {
      return 0;
    }
  }));
  return times.reduce((sum, ms) => sum + ms, 0);
}
