/**
 * Writes deploy/kubernetes/base/secret.env (the source of the Secret "commerce-secrets") with
 * strong random secrets, once: an existing file is never overwritten. Readable by you only;
 * git-ignored. `npx tsx scripts/deploy/secret-env.ts --database-url postgres://user:pass@host:5432/commerce [--out FILE]`
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const SECRET_ENV_FILE = fileURLToPath(new URL('../../deploy/kubernetes/base/secret.env', import.meta.url));

/** The text of secret.env: the database URL given, and fresh secrets in the formats the configuration demands. */
export function secretEnvText(databaseUrl: string, random: (bytes: number) => Buffer = randomBytes, now: Date = new Date()): string {
  return [
    `# Written by scripts/deploy/secret-env.ts on ${now.toISOString()}. Secrets: keep this file private and out of git.`,
    `DATABASE_URL=${databaseUrl}`,
    `JWT_SECRET=${random(32).toString('base64url')}`,
    `INTERNAL_TOKEN_SECRET=${random(32).toString('base64url')}`,
    `DATABASE_ROLE_SECRET=${random(32).toString('base64url')}`,
    `ADMIN_PASSWORD=${random(18).toString('base64url')}`,
    `PAYMENT_ENCRYPTION_KEY=k8s-1:${random(32).toString('base64')}`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, out: { type: 'string', default: SECRET_ENV_FILE } } });
  const databaseUrl = values['database-url'];
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    process.stderr.write('Usage: npx tsx scripts/deploy/secret-env.ts --database-url postgres://user:password@host:5432/commerce [--out FILE]\n');
    process.exit(2);
  }
  try {
    await writeFile(values.out!, secretEnvText(databaseUrl), { flag: 'wx', mode: 0o600 });
    process.stdout.write(`wrote ${values.out} (readable by you only, ignored by git); the admin password is ADMIN_PASSWORD in it\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    process.stderr.write(`${values.out} exists; keeping it (delete it for new secrets)\n`);
    process.exit(1);
  }
}
