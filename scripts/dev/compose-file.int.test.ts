import { execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeComposeEnvOnce } from './compose-env.js';

const run = promisify(execFile);
const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
// Validating needs the Compose client only, no Docker engine; a machine without either skips this.
const compose = [['docker', 'compose'], ['docker-compose']].find(([program, ...args]) => spawnSync(program!, [...args, 'version'], { stdio: 'ignore' }).status === 0);

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `compose config` in a fresh folder holding only the compose file, with none of this shell's variables. */
async function composeConfig(withEnvFile: boolean): Promise<{ output: string; secrets?: Awaited<ReturnType<typeof writeComposeEnvOnce>> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'compose-file-'));
  dirs.push(dir);
  await copyFile(COMPOSE_FILE, path.join(dir, 'docker-compose.yml'));
  const secrets = withEnvFile ? await writeComposeEnvOnce(path.join(dir, '.env')) : undefined;
  const [program, ...args] = compose!;
  const { stdout } = await run(program!, [...args, 'config'], { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  return { output: stdout, secrets };
}

describe.runIf(compose)('docker-compose.yml', () => {
  it('starts the infrastructure of a fresh clone, with nothing set', async () => {
    const { output } = await composeConfig(false);
    for (const service of ['postgres:', 'redis:', 'mailpit:']) expect(output).toContain(service);
    expect(output).toContain('127.0.0.1:8025:8025');
  }, 30_000);

  it('hands the monolith the secrets of a generated .env and sends its mail to Mailpit', async () => {
    const { output, secrets } = await composeConfig(true);
    expect(output).toMatch(/monolith:/);
    for (const name of ['JWT_SECRET', 'INTERNAL_TOKEN_SECRET', 'DATABASE_ROLE_SECRET', 'ADMIN_PASSWORD', 'PAYMENT_ENCRYPTION_KEY'] as const) {
      // YAML may quote a value (a base64url secret can start with "-"); the value itself must be there.
      expect(output).toMatch(new RegExp(`${name}: ['"]?${secrets![name].replace(/[+/=-]/g, '\\$&')}['"]?\\n`));
    }
    expect(output).toContain('SMTP_URL: smtp://mailpit:1025');
  }, 30_000);
});
