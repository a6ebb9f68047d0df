import { fileURLToPath } from 'node:url';
import { withDatabase } from '../../src/db/database-url.js';
import { ensurePostgres } from './local-postgres.js';
import { ensureRedis } from './local-redis.js';
import type { LocalService } from './local-service.js';

const DATA_DIR = fileURLToPath(new URL('../../.data/', import.meta.url));
const EMBEDDED_POSTGRES_PORT = 54329;
const EMBEDDED_REDIS_PORT = 63799;

export interface LocalEnvironment {
  /** the environment with DATABASE_URL and REDIS_URL filled in */
  env: Record<string, string | undefined>;
  postgres: LocalService;
  redis: LocalService;
  /** stops what was started here (servers found running are left alone) */
  stop(): Promise<void>;
}

/**
 * The servers a development process uses: DATABASE_URL / REDIS_URL when set, else those on
 * the default local ports, else embedded ones under `.data/` (reused when a previous run,
 * or `npm run dev` in another terminal, already started them).
 * @example const local = await localEnvironment(process.env, say)
 */
export async function localEnvironment(env: Record<string, string | undefined>, say: (message: string) => void): Promise<LocalEnvironment> {
  const started: LocalService[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
  };
  try {
    const postgres = await ensurePostgres({ url: env.DATABASE_URL || undefined, dataDir: `${DATA_DIR}postgres`, port: EMBEDDED_POSTGRES_PORT, log: say });
    started.push(postgres);
    const redis = await ensureRedis({ url: env.REDIS_URL || undefined, dataDir: `${DATA_DIR}redis`, port: EMBEDDED_REDIS_PORT, log: say });
    started.push(redis);
    return {
      env: { ...env, DATABASE_URL: env.DATABASE_URL || withDatabase(postgres.url, 'commerce'), REDIS_URL: redis.url },
      postgres, redis, stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
