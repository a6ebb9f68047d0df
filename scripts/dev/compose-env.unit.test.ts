import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { composeEnvText, newComposeSecrets, parseComposeEnv, writeComposeEnvOnce } from './compose-env.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function envFileIn(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'compose-env-'));
  dirs.push(dir);
  return path.join(dir, '.env');
}

describe('the .env that npm run compose:env writes', () => {
  it('holds secrets that production mode accepts', () => {
    const secrets = newComposeSecrets();
    const config = loadConfig({ NODE_ENV: 'production', ...parseComposeEnv(composeEnvText(secrets)) });
    expect(config).toMatchObject({ NODE_ENV: 'production', JWT_SECRET: secrets.JWT_SECRET, PAYMENT_ENCRYPTION_KEY: secrets.PAYMENT_ENCRYPTION_KEY });
  });

  it('never repeats a secret, within a file or between two', () => {
    const [first, second] = [newComposeSecrets(), newComposeSecrets()];
    const values = [first, second].flatMap(({ ADMIN_EMAIL: _email, ...secrets }) => Object.values(secrets));
    expect(new Set(values).size).toBe(values.length);
    expect(first.JWT_SECRET.length).toBeGreaterThanOrEqual(43); // 256 bits
  });

  it('is written once, for its owner only, and an existing file is never overwritten', async () => {
    const file = await envFileIn();
    const written = await writeComposeEnvOnce(file);
    expect(written).toBeDefined();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(parseComposeEnv(text)).toMatchObject({ COMPOSE_PROFILES: 'app', ADMIN_PASSWORD: written?.ADMIN_PASSWORD });

    expect(await writeComposeEnvOnce(file)).toBeUndefined();
    expect(await readFile(file, 'utf8')).toBe(text);

    const handWritten = await envFileIn();
    await writeFile(handWritten, 'JWT_SECRET=mine\n');
    expect(await writeComposeEnvOnce(handWritten)).toBeUndefined();
    expect(await readFile(handWritten, 'utf8')).toBe('JWT_SECRET=mine\n');
  });
});
