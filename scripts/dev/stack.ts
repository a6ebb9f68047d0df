/**
 * `npm run compose:env` writes .env with strong secrets for docker-compose.yml, once: an existing
 * .env is never overwritten. `npm run stack` does the same, then builds and starts the whole stack
 * (PostgreSQL, Redis, Mailpit, the monolith) with `docker compose`, or `docker-compose` where the
 * Compose plugin is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeComposeEnvOnce } from './compose-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENV_FILE = path.join(ROOT, '.env');
const say = (message: string): void => void process.stdout.write(`[stack] ${message}\n`);

async function ensureEnvFile(): Promise<void> {
  const created = await writeComposeEnvOnce(ENV_FILE);
  if (!created) {
    say('.env exists; keeping its secrets (delete it for new ones)');
    return;
  }
  say('wrote .env with new secrets (readable by you only, ignored by git)');
  say(`  admin  ${created.ADMIN_EMAIL} / ${created.ADMIN_PASSWORD}`);
}

/** `docker compose` (the v2 plugin) where it exists, else the standalone `docker-compose`. */
function composeCommand(): string[] | undefined {
  const candidates = [['docker', 'compose'], ['docker-compose']];
  return candidates.find(([program, ...args]) => spawnSync(program!, [...args, 'version'], { stdio: 'ignore' }).status === 0);
}

async function startStack(): Promise<number> {
  const compose = composeCommand();
  if (!compose) {
    process.stderr.write('\nDocker Compose is not installed: install Docker with its Compose plugin (or the docker-compose package) and run npm run stack again.\n');
    return 1;
  }
  // The profile is named as well as set in .env, so a hand-written .env without it works too.
  const args = [...compose.slice(1), '--profile', 'app', 'up', '-d', '--build'];
  say([compose[0], ...args].join(' '));
  const code = await new Promise<number>((resolve) => {
    const child = spawn(compose[0]!, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (status) => resolve(status ?? 1));
  });
  if (code === 0) {
    say('up:');
    say('  app    http://localhost:3000 (admin password: ADMIN_PASSWORD in .env)');
    say('  mail   http://localhost:8025 (Mailpit: every email the system sends)');
    say(`  stop   ${compose.join(' ')} down`);
  }
  return code;
}

const command = process.argv[2];
if (command === 'env') {
  await ensureEnvFile();
} else if (command === 'up') {
  await ensureEnvFile();
  process.exitCode = await startStack();
} else {
  process.stderr.write('usage: tsx scripts/dev/stack.ts env|up\n');
  process.exitCode = 2;
}
