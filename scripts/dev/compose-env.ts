import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

/** The variables docker-compose.yml hands the monolith, generated strong, plus the profile that starts it. */
export interface ComposeSecrets {
  JWT_SECRET: string;
  INTERNAL_TOKEN_SECRET: string;
  DATABASE_ROLE_SECRET: string;
  ADMIN_EMAIL: string;
  ADMIN_PASSWORD: string;
  PAYMENT_ENCRYPTION_KEY: string;
}

/**
 * Fresh secrets in the formats the app's configuration demands: 256-bit random values
 * (base64url, so nothing needs quoting in .env) and a payment key `<key id>:<32 bytes base64>`.
 * @example const secrets = newComposeSecrets(); secrets.PAYMENT_ENCRYPTION_KEY // 'compose-1:Zm9v…='
 */
export function newComposeSecrets(random: (bytes: number) => Buffer = randomBytes): ComposeSecrets {
  return {
    JWT_SECRET: random(32).toString('base64url'),
    INTERNAL_TOKEN_SECRET: random(32).toString('base64url'),
    DATABASE_ROLE_SECRET: random(32).toString('base64url'),
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: random(18).toString('base64url'),
    PAYMENT_ENCRYPTION_KEY: `compose-1:${random(32).toString('base64')}`,
  };
}

/** The text of a .env file for `docker compose`: comments, the "app" profile, the secrets. */
export function composeEnvText(secrets: ComposeSecrets, now: Date = new Date()): string {
  return [
    `# Written by npm run compose:env on ${now.toISOString()}; it never overwrites this file.`,
    '# docker compose reads it by itself. It holds secrets: keep it private and out of git (.gitignore has it).',
    '# Delete it and run npm run compose:env again for new secrets (then sign in with the new ADMIN_PASSWORD).',
    '',
    '# Makes a plain `docker compose up -d` start the monolith as well as the infrastructure.',
    'COMPOSE_PROFILES=app',
    '',
    ...Object.entries(secrets).map(([name, value]) => `${name}=${value}`),
    '',
  ].join('\n');
}

/**
 * Writes .env with new secrets unless it exists; an existing file is never touched, so
 * the secrets a running stack uses stay stable. Readable by the owner only.
 * @example if (await writeComposeEnvOnce('.env')) console.log('wrote .env')
 */
export async function writeComposeEnvOnce(file: string): Promise<ComposeSecrets | undefined> {
  const secrets = newComposeSecrets();
  try {
    // 'wx' fails if the file exists, even when two runs race.
    await writeFile(file, composeEnvText(secrets), { flag: 'wx', mode: 0o600 });
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
}

/** Reads `NAME=value` lines of a .env file (comments and blank lines skipped). */
export function parseComposeEnv(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}
