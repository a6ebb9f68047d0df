import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { withDatabase } from '../../db/database-url.js';
import { testDatabaseName } from '../../testing/test-database.js';
import type { ExtractionReport } from './report-types.js';

/** `npm run extraction-report` as a user runs it: a child process, its output and exit code. */

const root = path.resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const run = promisify(execFile);

async function report(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(root, 'node_modules/.bin/tsx'), ['scripts/extraction-report.ts', ...args], {
      cwd: root, env: { ...process.env, LOG_LEVEL: 'silent', ...env }, timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run extraction-report', () => {
  // a database that does not exist, on the test server: the report says so and goes on
  const missingDatabase = withDatabase(inject('adminDatabaseUrl'), `${testDatabaseName(inject('testRunPid'), 'db')}_absent`);

  it('refuses an unknown module in one line naming the known ones, with exit code 2', async () => {
    const { code, stdout, stderr } = await report(['nope']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('extraction-report: unknown module "nope"; known modules: user, product, payment, order, notification\n');
  });

  it('prints a JSON document, and says why the database part was not checked instead of failing', async () => {
    const { code, stdout, stderr } = await report(['order', '--json'], { DATABASE_URL: missingDatabase });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const document = JSON.parse(stdout) as ExtractionReport;
    expect(document.reportVersion).toBe(1);
    expect(document.module.name).toBe('order');
    expect(document.database.status).toBe('unreachable');
    expect(document.database.message).toMatch(/^database ".*_absent" does not exist on /);
    expect(document.verdict.status).toBe('unknown');
    expect(document.calls.out.map((tie) => tie.module)).toEqual(['payment', 'product']);
  });

  it('prints readable text by default', async () => {
    const { code, stdout } = await report(['notification'], { DATABASE_URL: missingDatabase });
    expect(code).toBe(0);
    expect(stdout).toContain('Extraction report: notification');
    expect(stdout).toContain('Verdict: UNKNOWN (database part not checked)');
    expect(stdout).not.toContain('    at '); // no stack trace
  });
});
